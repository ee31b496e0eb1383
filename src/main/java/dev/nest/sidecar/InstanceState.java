package dev.nest.sidecar;

/**
 * The life of an instance. Legal moves:
 * <pre>
 *   STARTING --pod up, host healthy--> LOADING --loaded--> READY --drain--> DRAINING --stopped--> STOPPED
 *   any state but STOPPED --died / failed--> STOPPED
 * </pre>
 */
public enum InstanceState {
    STARTING, LOADING, READY, DRAINING, STOPPED;

    boolean canMoveTo(InstanceState next) {
        return switch (this) {
            case STARTING -> next == LOADING || next == STOPPED || next == DRAINING;
            case LOADING -> next == READY || next == STOPPED || next == DRAINING;
            case READY -> next == DRAINING || next == STOPPED;
            case DRAINING -> next == STOPPED;
            case STOPPED -> false;
        };
    }
}
