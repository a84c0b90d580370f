package io.llt.engine.train;

/**
 * What a pipelined epoch observed.
 *
 * @param stages the number of stages
 * @param queueCapacity the capacity of each queue between stages, in batches
 * @param maxQueueOccupancy the most batches any queue held at once
 * @param stageFirstBlocks the index of each stage's first block (stage s runs blocks
 *     {@code stageFirstBlocks[s]} up to the next stage's first)
 * @param stageBusySeconds per stage, the wall time its thread spent in training steps (and, for
 *     the first stage, encoding batches)
 * @param stageIdleSeconds per stage, the rest of its thread's time: waiting for the stage before
 *     it, for room in the queue after it, or for a free hand-off buffer
 * @param meanQueueOccupancy per queue between stage s and s+1, the mean number of batches it
 *     held right after each hand-over
 * @param wallSeconds the epoch's wall time, from starting the stage threads to joining them
 * @param batches the number of batches the last stage finished
 */
public record PipelineStats(
    int stages,
    int queueCapacity,
    int maxQueueOccupancy,
    int[] stageFirstBlocks,
    double[] stageBusySeconds,
    double[] stageIdleSeconds,
    double[] meanQueueOccupancy,
    double wallSeconds,
    long batches) {

  /** Returns the summed busy time of all stages: what one thread running them in turn would take. */
  public double sequentialSeconds() {
    double sum = 0;
    for (double b : stageBusySeconds) {
      sum += b;
    }
    return sum;
  }

  /**
   * Returns the pipeline efficiency: the sequential time over {@code stages} times the wall time,
   * 1 when every stage is busy all the time.
   */
  public double efficiency() {
    return wallSeconds <= 0 ? 0 : sequentialSeconds() / (stages * wallSeconds);
  }
}
