package dev.nest.bench;

import java.util.ArrayList;
import java.util.List;

/** The figures of one runtime in {@link PodReadyBenchmark}: times to ready (ms), idle memory per pod (MiB), containerd's start phases. */
final class PodReadyResult {
    final String runtime;
    final String image;
    final List<Double> process = new ArrayList<>();
    final List<Double> docker = new ArrayList<>();
    final List<Double> containerd = new ArrayList<>();
    final List<Double> baseline = new ArrayList<>();
    /** containerd driver with {@code prepared: 1}: the start takes a prepared container (created task) and starts it. */
    final List<Double> containerdPrepared = new ArrayList<>();
    final List<Double> containerdPreparedStop = new ArrayList<>();
    /** containerd driver, Java only: the host with its AOT cache turned off ({@code JDK_JAVA_OPTIONS=-XX:AOTMode=off}). */
    final List<Double> containerdNoAot = new ArrayList<>();
    final List<Double> containerdNoAotStop = new ArrayList<>();
    final java.util.Map<String, List<Double>> preparedPhases = new java.util.LinkedHashMap<>();
    final List<Double> processStop = new ArrayList<>();
    final List<Double> dockerStop = new ArrayList<>();
    final List<Double> containerdStop = new ArrayList<>();
    final List<Double> baselineStop = new ArrayList<>();
    /** containerd driver: ms per start phase (lease, image, snapshot, container, fifos, task, start), one list per phase. */
    final java.util.Map<String, List<Double>> containerdPhases = new java.util.LinkedHashMap<>();
    /** Idle memory per pod, MiB: {docker stats (NaN for processes), VmRSS of the process tree}. */
    double[] processMemMb = {Double.NaN, Double.NaN};
    double[] dockerMemMb = {Double.NaN, Double.NaN};
    double[] containerdMemMb = {Double.NaN, Double.NaN};
    double[] baselineMemMb = {Double.NaN, Double.NaN};

    PodReadyResult(String runtime, String image) {
        this.runtime = runtime;
        this.image = image;
    }
}
