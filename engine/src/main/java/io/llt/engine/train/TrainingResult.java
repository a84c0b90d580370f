package io.llt.engine.train;

import java.util.List;

/**
 * What a training run produced.
 *
 * @param epochs every epoch's metrics of this invocation (a resumed run lists only its own)
 * @param testAccuracy final headline test accuracy (fraction)
 * @param testAccuracyLast final test accuracy of the last block's scores
 * @param testAccuracySum final test accuracy of the sum of the blocks' scores
 * @param samplesPerSecond training throughput over the whole invocation (evaluation excluded)
 * @param peakNativeBytes native high-water mark of the run
 * @param wallSeconds wall time of the invocation
 */
public record TrainingResult(
    List<EpochMetrics> epochs,
    double testAccuracy,
    double testAccuracyLast,
    double testAccuracySum,
    double samplesPerSecond,
    long peakNativeBytes,
    double wallSeconds) {}
