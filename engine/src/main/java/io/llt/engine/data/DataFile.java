package io.llt.engine.data;

import java.nio.file.Path;

/**
 * A file a run read, with its content hash, for provenance in summaries and reports.
 *
 * @param path the file
 * @param sha256 lower-case hex SHA-256 of its bytes as stored (compressed if it is gzip)
 */
public record DataFile(Path path, String sha256) {}
