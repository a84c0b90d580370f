package io.llt.engine.train;

import java.util.Map;

import java.util.List;

/**
 * The figures of one trainer epoch.
 *
 * @param epoch the trainer epoch, from 1
 * @param totalEpochs the trainer epochs of the run (for greedy: the sum of the phases' epochs)
 * @param activeBlock for greedy, the ids of the phase's blocks joined by '+'; otherwise null
 * @param blocks per-block loss and learning rate
 * @param validationAccuracy headline validation accuracy (fraction), or null without a split
 * @param testAccuracy headline test accuracy (fraction), or NaN when the blocks trained so far
 *     contribute no class scores
 * @param testReadouts test accuracy of every available readout, by name, the headline first
 * @param samplesPerSecond training throughput of the epoch (evaluation excluded)
 * @param trainSeconds training wall time of the epoch
 * @param peakNativeBytes the run's native high-water mark so far
 * @param frozenFeatureSeconds wall time spent before this epoch computing the cached outputs of
 *     frozen blocks (the first epoch of a greedy phase that caches them), else 0
 */
public record EpochMetrics(
    int epoch,
    int totalEpochs,
    String activeBlock,
    List<BlockMetrics> blocks,
    Double validationAccuracy,
    double testAccuracy,
    Map<String, Double> testReadouts,
    double samplesPerSecond,
    double trainSeconds,
    long peakNativeBytes,
    double frozenFeatureSeconds) {}
