package io.llt.engine.spi;

/**
 * One configured layer of the block chain, as a rule may see it when it builds a block's state:
 * AugLocal builds its auxiliary networks from the widths of later layers, MAN copies the next
 * block's first layer.
 *
 * @param block the index of the block the layer belongs to
 * @param config the layer's config
 * @param inputShape the per-example shape the layer reads
 * @param outputShape the per-example shape the layer writes
 */
public record ChainLayer(int block, LayerConfig config, long[] inputShape, long[] outputShape) {}
