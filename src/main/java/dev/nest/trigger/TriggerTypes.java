package dev.nest.trigger;

import dev.nest.function.FunctionSpec;
import dev.nest.function.SpecCheck;
import dev.nest.function.SpecProblem;
import dev.nest.function.TriggerSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The trigger types this node knows: every {@link TriggerSourceProvider} {@link ServiceLoader} finds in the class
 * loaders it is given (Nest's own, then each plugin's), by type. As a {@link SpecCheck} it refuses a spec whose
 * trigger has an unknown type (the message lists the known ones) or settings its provider rejects.
 *
 * <p>Failure: a provider that cannot be instantiated, whose {@code type()} or {@code placement()} throws or answers
 * nothing usable (no type, a type name the spec could never name, no placement), or a second provider of a type
 * already taken, is skipped, logged and listed in {@link #problems} (the node starts anyway). A provider's
 * {@code validate} or {@code describe} that throws (an exception, or a linkage error of a plugin missing a class) is
 * contained: its trigger is refused with a message naming the type and the error, or shows nothing. Immutable and
 * thread-safe once built.
 */
public final class TriggerTypes implements SpecCheck {
    private static final Logger LOG = Logger.getLogger(TriggerTypes.class.getName());
    /** A type name a spec can name (as the spec parser checks {@code type:}). */
    private static final java.util.regex.Pattern TYPE = java.util.regex.Pattern.compile("[a-z][a-z0-9-]{0,31}");

    private final Map<String, TriggerSourceProvider> providers;
    private final List<String> problems;

    private TriggerTypes(Map<String, TriggerSourceProvider> providers, List<String> problems) {
        this.providers = Collections.unmodifiableMap(new TreeMap<>(providers));
        this.problems = List.copyOf(problems);
    }

    /** The providers found through {@link ServiceLoader} in each of {@code loaders}, in order (the first of a type wins). */
    public static TriggerTypes load(List<ClassLoader> loaders) {
        List<TriggerSourceProvider> found = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (ClassLoader loader : loaders) {
            try {
                for (ServiceLoader.Provider<TriggerSourceProvider> p
                        : ServiceLoader.load(TriggerSourceProvider.class, loader).stream().toList()) {
                    try {
                        TriggerSourceProvider provider = p.get();
                        // a child loader also finds its parents' providers: count each class once
                        if (found.stream().noneMatch(f -> f.getClass() == provider.getClass())) {
                            found.add(provider);
                        }
                    } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                        problems.add("trigger provider " + p.type().getName() + " failed to load: " + e.getMessage());
                        LOG.log(Level.WARNING, "trigger provider " + p.type().getName() + " failed to load", e);
                    }
                }
            } catch (ServiceConfigurationError | LinkageError e) {
                problems.add("trigger providers of " + loader + " failed to load: " + e.getMessage());
                LOG.log(Level.WARNING, "trigger providers failed to load", e);
            }
        }
        return of(found, problems);
    }

    /** The given providers (tests, or a plugin loader's {@code services(TriggerSourceProvider.class)}). */
    public static TriggerTypes of(Collection<TriggerSourceProvider> providers) {
        return of(providers, List.of());
    }

    private static TriggerTypes of(Collection<TriggerSourceProvider> providers, List<String> earlier) {
        Map<String, TriggerSourceProvider> byType = new TreeMap<>();
        List<String> problems = new ArrayList<>(earlier);
        for (TriggerSourceProvider p : providers) {
            Optional<TriggerSourceProvider> checked = Checked.of(p, problems);
            if (checked.isEmpty()) {
                LOG.warning(problems.getLast());
                continue;
            }
            TriggerSourceProvider before = byType.putIfAbsent(checked.get().type(), checked.get());
            if (before != null && before != checked.get() && !(before instanceof Checked c && c.delegate == p)) {
                problems.add("trigger type '" + checked.get().type() + "' of " + name(p) + " is ignored: "
                        + name(before) + " provides it already");
                LOG.warning(problems.getLast());
            }
        }
        return new TriggerTypes(byType, problems);
    }

    private static String name(TriggerSourceProvider p) {
        return (p instanceof Checked c ? c.delegate : p).getClass().getName();
    }

    /**
     * A provider as this node uses it: its type and placement read once (a provider whose answers are unusable is
     * refused here, see {@link #of}), its {@code validate} and {@code describe} contained, and a linkage error of
     * {@code create} (a plugin missing a class) turned into an exception its caller handles. Thread-safe.
     */
    private static final class Checked implements TriggerSourceProvider {
        private final TriggerSourceProvider delegate;
        private final String type;
        private final TriggerPlacement placement;

        private Checked(TriggerSourceProvider delegate, String type, TriggerPlacement placement) {
            this.delegate = delegate;
            this.type = type;
            this.placement = placement;
        }

        /** {@code p} checked; empty, with the reason added to {@code problems}, when it is unusable. */
        static Optional<TriggerSourceProvider> of(TriggerSourceProvider p, List<String> problems) {
            String who = "trigger provider " + p.getClass().getName();
            String type;
            TriggerPlacement placement;
            try {
                type = p.type();
                placement = p.placement();
            } catch (RuntimeException | LinkageError e) {
                problems.add(who + " is not used: asking its type or placement threw " + e);
                return Optional.empty();
            }
            if (type == null || !TYPE.matcher(type).matches()) {
                problems.add(who + " is not used: its type " + (type == null ? "is missing" : "'" + type + "' is not "
                        + "a type name a spec can use") + " (lower-case letters, digits and '-', at most 32, "
                        + "starting with a letter)");
                return Optional.empty();
            }
            if (placement == null) {
                problems.add(who + " (type '" + type + "') is not used: it declares no placement (leader or "
                        + "every-node)");
                return Optional.empty();
            }
            return Optional.of(new Checked(p, type, placement));
        }

        @Override
        public String type() {
            return type;
        }

        @Override
        public TriggerPlacement placement() {
            return placement;
        }

        @Override
        public List<SpecProblem> validate(String key, com.fasterxml.jackson.databind.node.ObjectNode settings) {
            try {
                List<SpecProblem> found = delegate.validate(key, settings);
                return found == null ? List.of() : List.copyOf(found);
            } catch (RuntimeException | LinkageError e) {
                LOG.log(Level.WARNING, "the '" + type + "' trigger's settings check threw", e);
                return List.of(new SpecProblem(key, null, "the '" + type + "' trigger could not check its settings ("
                        + e + "); its plugin is faulty: see the node's log"));
            }
        }

        @Override
        public TriggerSource create(TriggerContext context) {
            try {
                TriggerSource s = delegate.create(context);
                if (s == null) {
                    throw new IllegalStateException("the '" + type + "' trigger's provider created no source");
                }
                return s;
            } catch (LinkageError e) {
                throw new IllegalStateException("the '" + type + "' trigger's plugin is missing code: " + e, e);
            }
        }

        @Override
        public com.fasterxml.jackson.databind.node.ObjectNode describe(
                com.fasterxml.jackson.databind.node.ObjectNode settings, Optional<byte[]> state, java.time.Instant now) {
            try {
                var d = delegate.describe(settings, state, now);
                return d == null ? com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode() : d;
            } catch (RuntimeException | LinkageError e) {
                LOG.log(Level.FINE, "the '" + type + "' trigger's describe threw", e);
                return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                        .put("describeError", String.valueOf(e));
            }
        }
    }

    /** The provider of {@code type}. */
    public Optional<TriggerSourceProvider> provider(String type) {
        return Optional.ofNullable(providers.get(type));
    }

    /** The known types, sorted. */
    public List<String> types() {
        return List.copyOf(providers.keySet());
    }

    /** Providers that failed to load or were shadowed (for {@code /health}). */
    public List<String> problems() {
        return problems;
    }

    @Override
    public List<SpecProblem> problems(FunctionSpec spec) {
        List<SpecProblem> out = new ArrayList<>();
        for (int i = 0; i < spec.triggers().size(); i++) {
            TriggerSpec t = spec.triggers().get(i);
            String key = "triggers[" + i + "]";
            Optional<TriggerSourceProvider> p = provider(t.type());
            if (p.isEmpty()) {
                out.add(new SpecProblem(key + ".type", t.type(), providers.isEmpty() ? "no trigger types are installed"
                        : "one of the trigger types this node knows: " + String.join(", ", types())
                        + " (plugin types need their plugin in plugins/)"));
                continue;
            }
            out.addAll(p.get().validate(key, t.settings())); // contained: see Checked
        }
        if (!spec.http() && spec.triggers().isEmpty()) {
            out.add(new SpecProblem("http", "false", "true, or at least one trigger: a function with http: false "
                    + "and no triggers could never run"));
        }
        return out;
    }
}
