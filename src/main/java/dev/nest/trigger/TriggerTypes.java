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
 * <p>Failure: a provider that cannot be instantiated, or a second provider of a type already taken, is skipped,
 * logged and listed in {@link #problems} (the node starts anyway). Immutable and thread-safe once built.
 */
public final class TriggerTypes implements SpecCheck {
    private static final Logger LOG = Logger.getLogger(TriggerTypes.class.getName());

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
                    } catch (ServiceConfigurationError | RuntimeException e) {
                        problems.add("trigger provider " + p.type().getName() + " failed to load: " + e.getMessage());
                        LOG.log(Level.WARNING, "trigger provider " + p.type().getName() + " failed to load", e);
                    }
                }
            } catch (ServiceConfigurationError e) {
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
            TriggerSourceProvider before = byType.putIfAbsent(p.type(), p);
            if (before != null && before != p) {
                problems.add("trigger type '" + p.type() + "' of " + p.getClass().getName() + " is ignored: "
                        + before.getClass().getName() + " provides it already");
                LOG.warning(problems.getLast());
            }
        }
        return new TriggerTypes(byType, problems);
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
            try {
                out.addAll(p.get().validate(key, t.settings()));
            } catch (RuntimeException e) {
                out.add(new SpecProblem(key, null, "the '" + t.type() + "' trigger could not check its settings: "
                        + e.getMessage()));
            }
        }
        if (!spec.http() && spec.triggers().isEmpty()) {
            out.add(new SpecProblem("http", "false", "true, or at least one trigger: a function with http: false "
                    + "and no triggers could never run"));
        }
        return out;
    }
}
