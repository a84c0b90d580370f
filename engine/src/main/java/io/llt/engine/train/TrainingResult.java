package io.llt.engine.train;

import java.util.Map;

import java.util.List;

/**
 * What a training run produced.
 *
 * @param epochs every epoch's metrics of this invocation (a resumed run lists only its own)
 * @param testAccuracy final headline test accuracy (fraction)
 * @param testReadouts final test accuracy of every readout, by name, the headline first
 * @param samplesPerSecond training throughput over the whole invocation (evaluation excluded)
 * @param peakNativeBytes native high-water mark of the run
 * @param wallSeconds wall time of the invocation
 */
public record TrainingResult(
    List<EpochMetrics> epochs,
    double testAccuracy,
    Map<String, Double> testReadouts,
    double samplesPerSecond,
    long peakNativeBytes,
    double wallSeconds) {}
