package io.llt.engine.train;

/**
 * What a pipelined epoch observed.
 *
 * @param stages the number of stages
 * @param queueCapacity the capacity of each queue between stages, in batches
 * @param maxQueueOccupancy the most batches any queue held at once
 * @param stageFirstBlocks the index of each stage's first block (stage s runs blocks
 *     {@code stageFirstBlocks[s]} up to the next stage's first)
 */
public record PipelineStats(
    int stages, int queueCapacity, int maxQueueOccupancy, int[] stageFirstBlocks) {}
