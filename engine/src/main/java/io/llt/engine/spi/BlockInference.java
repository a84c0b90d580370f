package io.llt.engine.spi;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What one block produces at inference.
 *
 * @param output the rows handed to the next block (may live in the block's workspace)
 * @param scores class scores {@code [batch, numClasses]} by name (may be empty; may live in the
 *     block's workspace)
 */
public record BlockInference(INDArray output, Map<String, INDArray> scores) {}
