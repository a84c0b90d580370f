package io.llt.engine.spi;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The labels of a batch, in both forms rules need: a one-hot array for device-side arithmetic and
 * the class indices for host-side logic (softmax losses over few classes, negative-label sampling).
 *
 * @param oneHot {@code [batch, numClasses]} in the block's data type
 * @param classes the class index of each example, length {@code batch}
 */
public record Labels(INDArray oneHot, int[] classes) {}
