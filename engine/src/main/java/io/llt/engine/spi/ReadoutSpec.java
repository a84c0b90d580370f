package io.llt.engine.spi;

/**
 * One way a network predicts: which per-block scores it reads and how it combines them.
 *
 * @param name the readout's name in reports ({@code last}, {@code sum}, {@code goodness}, ...)
 * @param key the name of the per-block scores it reads ({@link BlockInference#scores()})
 * @param combine {@link Readout#LAST} (the last block that produced {@code key}) or {@link
 *     Readout#SUM} (the sum over every block that produced it)
 */
public record ReadoutSpec(String name, String key, Readout combine) {}
