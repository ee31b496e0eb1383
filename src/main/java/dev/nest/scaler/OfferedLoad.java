package dev.nest.scaler;

/**
 * The load a function's arrivals offer, by Little's law (L = lambda x W): the requests its recent arrival rate keeps in
 * flight at its recent execution time. It reads a step of the load a whole window before the requests in flight do:
 * while requests wait for instances the count in flight lags the rate, and one sample of it is noisier than a rate
 * counted over a second (about +/-14% at 50 requests/s against +/-45%).
 *
 * @param arrivalsPerSecond requests that arrived per second over the last {@link ArrivalHistory#ARRIVAL_WINDOW} or so
 * @param executionSeconds  the mean time a request spent on an instance (not waiting for one) over the stable window,
 *                          at most {@link ArrivalHistory#HORIZON}
 */
public record OfferedLoad(double arrivalsPerSecond, double executionSeconds) {
    public OfferedLoad {
        if (!(arrivalsPerSecond >= 0 && Double.isFinite(arrivalsPerSecond))) {
            throw new IllegalArgumentException("arrival rate " + arrivalsPerSecond + " is not a finite rate >= 0");
        }
        if (!(executionSeconds >= 0 && Double.isFinite(executionSeconds))) {
            throw new IllegalArgumentException("execution time " + executionSeconds + " s is not a finite time >= 0");
        }
    }

    /** Requests in flight at once this load keeps: arrivals per second x execution seconds. */
    public double requests() {
        return arrivalsPerSecond * executionSeconds;
    }
}
