package dev.nest.gateway;

/**
 * Why a client's request is refused before it is served: the status to answer ({@code 400}, {@code 413},
 * {@code 431}, {@code 501}, {@code 505}) and a detail that says what was wrong. The connection closes after the
 * answer. Thrown inside Netty's decoder (it then hands on an invalid message carrying this cause) or returned by
 * {@link RequestRules}.
 */
final class Refusal extends RuntimeException {
    final int status;

    Refusal(int status, String detail) {
        super(detail, null, false, false);
        this.status = status;
    }

    /** The {@code error} of the JSON answer. */
    String error() {
        return switch (status) {
            case 413 -> "request body too large";
            case 431 -> "request header too large";
            case 505 -> "HTTP version not supported";
            case 501 -> "not implemented";
            case 408 -> "request timeout";
            default -> "bad request";
        };
    }
}
