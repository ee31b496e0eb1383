package dev.nest;

/** {@code java -jar nest.jar [command]}: no arguments starts the server. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(NestCommand.run(args));
    }
}
