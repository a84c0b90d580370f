/**
 * Data sources: datasets held in memory as {@link io.llt.engine.data.Dataset} splits, and the
 * mini-batches cut from them.
 *
 * <p>A data source is a {@link io.llt.engine.spi.DataConfig} record registered by a {@link
 * io.llt.engine.spi.DataSourceProvider}: {@code fashion-mnist}, {@code mnist} and {@code kmnist}
 * read the IDX files of the MNIST family ({@link io.llt.engine.data.IdxReader}), found by {@link
 * io.llt.engine.data.DatasetLocator} in the config's path, {@code $LLT_DATA_DIR}, the user cache or
 * {@code /usr/share/datasets} (and, for Fashion-MNIST only, downloaded with verified SHA-256 hashes
 * by {@link io.llt.engine.data.Downloader}); {@code cifar10} reads the binary version of CIFAR-10
 * from the same places (never downloaded); {@code synthetic} generates seeded Gaussian clusters.
 * {@link io.llt.engine.data.Batches} cuts a split into {@link io.llt.engine.data.Batch}es, shuffled
 * by a seed or in order.
 */
package io.llt.engine.data;
