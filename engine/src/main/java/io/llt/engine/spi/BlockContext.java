package io.llt.engine.spi;

import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What a rule may know about the block it serves when it creates the block's state.
 *
 * @param blockId the block's id from the config
 * @param index the block's position in the chain, from 0
 * @param blockCount how many blocks the chain has
 * @param inputShape the block's per-example input shape
 * @param outputShape the block's per-example output shape
 * @param numClasses the number of classes of the task
 * @param dataType the data type of parameters and activations
 * @param blockOutputSizes the per-example output size of every block of the chain, in order
 *     (a network-level readout on the last block sizes itself from it)
 * @param chain every layer of every block of the chain, in order (empty where the chain is not
 *     known: the fused backprop block, and rule checks made before the whole chain is built)
 */
public record BlockContext(
    String blockId,
    int index,
    int blockCount,
    long[] inputShape,
    long[] outputShape,
    int numClasses,
    DataType dataType,
    long[] blockOutputSizes,
    List<ChainLayer> chain) {

  /** Validates and copies the chain. */
  public BlockContext {
    chain = chain == null ? List.of() : List.copyOf(chain);
  }

  /** Creates a context that does not know the chain's layers. */
  public BlockContext(
      String blockId,
      int index,
      int blockCount,
      long[] inputShape,
      long[] outputShape,
      int numClasses,
      DataType dataType,
      long[] blockOutputSizes) {
    this(
        blockId, index, blockCount, inputShape, outputShape, numClasses, dataType,
        blockOutputSizes, List.of());
  }

  /** Returns the layers of block {@code block} (empty when the chain is not known). */
  public List<ChainLayer> layersOf(int block) {
    return chain.stream().filter(l -> l.block() == block).toList();
  }

  /** Returns the product of the output shape: the width a head on this block sees. */
  public long outputSize() {
    long n = 1;
    for (long d : outputShape) {
      n *= d;
    }
    return n;
  }
}
