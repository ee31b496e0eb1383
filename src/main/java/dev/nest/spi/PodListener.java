package dev.nest.spi;

/** Receives a pod's output, one line at a time, on a driver thread. */
public interface PodListener {
    void line(String podId, boolean stderr, String line);
}
