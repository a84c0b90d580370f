package io.llt.engine.data;

import java.util.List;

/**
 * The splits of a dataset.
 *
 * @param name the dataset name, for example {@code fashion-mnist}
 * @param train the training split (after the validation examples were taken out)
 * @param validation the validation split, or null when none was requested
 * @param test the test split
 * @param files the files read, with hashes (empty for generated data)
 */
public record DataSplits(
    String name, Dataset train, Dataset validation, Dataset test, List<DataFile> files) {}
