package io.llt.engine.graph;

import io.llt.engine.config.Schedule;
import io.llt.engine.spi.ReadoutSpec;
import java.util.List;

/**
 * The network as an ordered chain of blocks. For the {@code backprop} schedule the chain holds
 * one fused block with every layer of the configured blocks.
 *
 * @param blocks the blocks, in order
 * @param schedule the schedule the graph was built for
 * @param inputShape the per-example input shape
 * @param numClasses the number of classes
 */
public record BlockGraph(List<Block> blocks, Schedule schedule, long[] inputShape, int numClasses)
    implements AutoCloseable {

  /** Returns how the network predicts, the headline first: the last block's rule decides. */
  public List<ReadoutSpec> readouts() {
    Block last = blocks.get(blocks.size() - 1);
    return last.rule().readouts();
  }

  /** Returns the total number of parameters (layers and rule states) over all blocks. */
  public long numParams() {
    long n = 0;
    for (Block b : blocks) {
      n += b.params().length();
    }
    return n;
  }

  /** Closes every block, releasing all native memory of the graph. */
  @Override
  public void close() {
    for (Block b : blocks) {
      b.close();
    }
    Block.releaseThreadMemory();
  }
}
