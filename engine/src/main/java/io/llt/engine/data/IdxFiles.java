package io.llt.engine.data;

import java.nio.file.Path;

/**
 * The four files of an IDX dataset of the MNIST family, each raw or gzip-compressed.
 *
 * @param dir the directory they were found in
 * @param trainImages {@code train-images-idx3-ubyte} or {@code train-images-idx3-ubyte.gz}
 * @param trainLabels {@code train-labels-idx1-ubyte} or {@code train-labels-idx1-ubyte.gz}
 * @param testImages {@code t10k-images-idx3-ubyte} or {@code t10k-images-idx3-ubyte.gz}
 * @param testLabels {@code t10k-labels-idx1-ubyte} or {@code t10k-labels-idx1-ubyte.gz}
 */
public record IdxFiles(
    Path dir, Path trainImages, Path trainLabels, Path testImages, Path testLabels) {}
