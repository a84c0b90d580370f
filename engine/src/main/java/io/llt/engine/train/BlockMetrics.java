package io.llt.engine.train;

/**
 * One block's figures for one epoch.
 *
 * @param blockId the block id
 * @param loss the mean local loss over the epoch's batches (NaN when the block did not train)
 * @param learningRate the learning rate used this epoch (NaN when the block did not train)
 */
public record BlockMetrics(String blockId, double loss, double learningRate) {}
