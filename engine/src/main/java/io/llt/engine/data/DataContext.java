package io.llt.engine.data;

import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What a data source needs from its surroundings, passed explicitly (never read from globals) so
 * that tests can point it anywhere.
 *
 * @param configDir the directory of the config file, against which relative paths resolve
 * @param environment the process environment (for {@code LLT_DATA_DIR})
 * @param userHome the user's home directory (for {@code ~/.cache/llt/datasets})
 * @param systemDatasetsDir the system dataset location, normally {@code /usr/share/datasets}
 * @param allowDownload whether a missing dataset may be downloaded into the cache
 * @param dataType the data type of the feature arrays
 * @param seed the run seed, for synthetic data and the validation split
 */
public record DataContext(
    Path configDir,
    Map<String, String> environment,
    Path userHome,
    Path systemDatasetsDir,
    boolean allowDownload,
    DataType dataType,
    long seed) {

  /** Returns the context of a normal run on this machine. */
  public static DataContext standard(Path configDir, DataType dataType, long seed) {
    return new DataContext(
        configDir,
        System.getenv(),
        Path.of(System.getProperty("user.home")),
        Path.of("/usr/share/datasets"),
        true,
        dataType,
        seed);
  }
}
