package dev.nest.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code nest login --server URL}: saves a token for a server ({@link Logins}), read from standard input (without
 * echo when that is a terminal), never from the command line, where other users and the shell's history would see
 * it. Later commands to that server send it when neither {@code --token} nor {@code NEST_TOKEN} is given.
 */
@Command(name = "login", mixinStandardHelpOptions = true,
        description = {"Save a token for a server, read from standard input (not echoed on a terminal).",
                "Example: nest login --server https://nest.example.com   (then paste the token)",
                "         nest login --server https://nest.example.com < token.txt"})
public final class LoginCommand extends FnCommand.Base {
    /** What a Nest token looks like: {@code nest_} and 49 letters and digits. */
    static final Pattern FORM = Pattern.compile("nest_[0-9A-Za-z]{49}");

    @Option(names = "--server", description = "server URL (default: $NEST_SERVER, else " + Remote.DEFAULT_SERVER + ")")
    String server;

    @Override
    int execute() {
        Map<String, String> env = System.getenv();
        Remote remote = new Remote();
        remote.server = server;
        String url = remote.url(env);
        String token = readToken(url);
        Logins logins = new Logins(Logins.directory(env));
        logins.save(url, token);
        spec.commandLine().getErr().println("Saved the token for " + Logins.key(url) + " in " + logins.file());
        return 0;
    }

    private String readToken(String url) {
        Console console = System.console();
        if (console != null && terminal(console)) {
            char[] typed = console.readPassword("Token for %s: ", url);
            return checked(typed == null ? "" : new String(typed));
        }
        try {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            return checked(Optional.ofNullable(in.readLine()).orElse(""));
        } catch (IOException e) {
            throw new CliException("cannot read the token from standard input: " + e.getMessage());
        }
    }

    /** The token, stripped, when it has a Nest token's form; the message never repeats it. */
    static String checked(String text) {
        String t = text.strip();
        if (t.isEmpty()) {
            throw new CliException("no token on standard input; paste it, or pipe it in: nest login --server URL "
                    + "< token.txt");
        }
        if (!FORM.matcher(t).matches()) {
            throw new CliException("what was read (" + t.length() + " characters) is not a Nest token: nest_ "
                    + "followed by 49 letters and digits; 'nest token create' prints one");
        }
        return t;
    }

    /** {@link Console#isTerminal} (Java 22) where there is one; Java 21's console exists only on a terminal. */
    private static boolean terminal(Console console) {
        try {
            return (boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }
}
