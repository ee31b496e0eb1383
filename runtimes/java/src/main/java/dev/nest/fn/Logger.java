package dev.nest.fn;

/** Writes log lines attributed to one invocation; a multi-line message becomes several lines. */
public interface Logger {

    void debug(String message);

    void info(String message);

    void warn(String message);

    void error(String message);

    /** Logs {@code message} followed by the stack trace of {@code error}. */
    void error(String message, Throwable error);
}
