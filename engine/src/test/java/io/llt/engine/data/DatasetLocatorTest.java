package io.llt.engine.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

class DatasetLocatorTest {
  @TempDir Path tmp;

  private Path home() {
    return tmp.resolve("home");
  }

  private Path system() {
    return tmp.resolve("system");
  }

  private DataContext context(Map<String, String> env, boolean allowDownload) {
    return new DataContext(
        tmp.resolve("configs"), env, home(), system(), allowDownload, DataType.FLOAT, 1L);
  }

  private static void put(Path dir, boolean gzip) {
    IdxTestFiles.dataset(dir, 3, 2, gzip);
  }

  @Test
  void explicitPathWinsAndIsRelativeToConfigDir() {
    Path explicit = tmp.resolve("configs/mydata");
    put(explicit, false);
    put(tmp.resolve("env/fashion-mnist"), true);
    put(DatasetLocator.cacheDir(home(), "fashion-mnist"), true);
    put(system().resolve("fashion-mnist"), true);

    IdxFiles files =
        new DatasetLocator(context(Map.of("LLT_DATA_DIR", tmp.resolve("env").toString()), false))
            .locate("fashion-mnist", Path.of("mydata"));

    assertThat(files.dir()).isEqualTo(explicit.toAbsolutePath().normalize());
    assertThat(files.trainImages()).isEqualTo(files.dir().resolve("train-images-idx3-ubyte"));
    assertThat(files.testLabels()).isEqualTo(files.dir().resolve("t10k-labels-idx1-ubyte"));
  }

  @Test
  void explicitPathWithTildeIsUnderUserHome() {
    put(home().resolve("data/fm"), true);
    IdxFiles files =
        new DatasetLocator(context(Map.of(), false)).locate("fashion-mnist", Path.of("~/data/fm"));
    assertThat(files.dir()).isEqualTo(home().resolve("data/fm").toAbsolutePath().normalize());
  }

  @Test
  void envDirComesBeforeCacheAndSystem() {
    Path env = tmp.resolve("env");
    put(env.resolve("fashion-mnist"), true);
    put(DatasetLocator.cacheDir(home(), "fashion-mnist"), true);
    put(system().resolve("fashion-mnist"), true);

    IdxFiles files =
        new DatasetLocator(context(Map.of("LLT_DATA_DIR", env.toString()), false))
            .locate("fashion-mnist", null);

    assertThat(files.dir()).isEqualTo(env.resolve("fashion-mnist").toAbsolutePath().normalize());
    assertThat(files.trainImages().getFileName().toString())
        .isEqualTo("train-images-idx3-ubyte.gz");
  }

  @Test
  void cacheComesBeforeSystem() {
    Path cache = DatasetLocator.cacheDir(home(), "fashion-mnist");
    put(cache, true);
    put(system().resolve("fashion-mnist"), true);
    // LLT_DATA_DIR is set but does not hold the dataset: it is skipped
    Map<String, String> env = Map.of("LLT_DATA_DIR", tmp.resolve("empty-env").toString());

    IdxFiles files = new DatasetLocator(context(env, false)).locate("fashion-mnist", null);

    assertThat(files.dir()).isEqualTo(cache);
    assertThat(cache)
        .isEqualTo(home().resolve(".cache/llt/datasets/fashion-mnist").toAbsolutePath());
  }

  @Test
  void systemIsUsedLast() {
    put(system().resolve("kmnist"), false);
    IdxFiles files = new DatasetLocator(context(Map.of(), false)).locate("kmnist", null);
    assertThat(files.dir()).isEqualTo(system().resolve("kmnist").toAbsolutePath().normalize());
  }

  @Test
  void mixedRawAndGzipFilesCountAndRawIsPreferred() {
    Path dir = tmp.resolve("mixed");
    put(dir, true);
    IdxTestFiles.write(dir.resolve("train-images-idx3-ubyte"), new byte[] {1});

    IdxFiles files = DatasetLocator.find(dir).orElseThrow();
    assertThat(files.trainImages().getFileName().toString()).isEqualTo("train-images-idx3-ubyte");
    assertThat(files.trainLabels().getFileName().toString())
        .isEqualTo("train-labels-idx1-ubyte.gz");
  }

  @Test
  void explicitPathMissingFilesIsAnErrorNamingIt() throws Exception {
    Path explicit = tmp.resolve("configs/partial");
    put(explicit, true);
    Files.delete(explicit.resolve("t10k-labels-idx1-ubyte.gz"));
    put(system().resolve("fashion-mnist"), true); // would be found, but must not be used

    assertThatThrownBy(
            () ->
                new DatasetLocator(context(Map.of(), false))
                    .locate("fashion-mnist", Path.of("partial")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("data.path " + explicit.toAbsolutePath().normalize())
        .hasMessageContaining("missing t10k-labels-idx1-ubyte[.gz]")
        .hasMessageNotContaining("train-images");
  }

  @Test
  void explicitPathThatDoesNotExistIsAnError() {
    put(system().resolve("fashion-mnist"), true);
    assertThatThrownBy(
            () ->
                new DatasetLocator(context(Map.of(), false))
                    .locate("fashion-mnist", tmp.resolve("nowhere")))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("data.path " + tmp.resolve("nowhere") + " does not exist");
  }

  @Test
  void notFoundNamesEveryPlaceWithNotSetForUnsetOnes() {
    assertThatThrownBy(
            () -> new DatasetLocator(context(Map.of(), false)).locate("fashion-mnist", null))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "dataset 'fashion-mnist' not found; looked in: data.path (not set), $LLT_DATA_DIR (not"
                + " set), "
                + home().resolve(".cache/llt/datasets/fashion-mnist")
                + ", "
                + system().resolve("fashion-mnist")
                + "; download not allowed in this run. Install it with 'sudo apt-get install"
                + " dataset-fashion-mnist', or put the four IDX files (train-images-idx3-ubyte,"
                + " train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each"
                + " raw or .gz) in one of those directories");
  }

  @Test
  void notFoundNamesTheEnvDirWhenSetAndSaysWhyMnistIsNotDownloaded() {
    Path env = tmp.resolve("env");
    assertThatThrownBy(
            () ->
                new DatasetLocator(context(Map.of("LLT_DATA_DIR", env.toString()), true))
                    .locate("mnist", null))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            "looked in: data.path (not set), " + env.resolve("mnist") + " ($LLT_DATA_DIR), ")
        .hasMessageContaining(home().resolve(".cache/llt/datasets/mnist").toString())
        .hasMessageContaining(system().resolve("mnist").toString())
        .hasMessageContaining("no download (no verified SHA-256 is recorded for 'mnist')")
        .hasMessageContaining("Put the four IDX files")
        .hasMessageNotContaining("apt-get")
        .hasMessageNotContaining("\n");
  }

  @Test
  void mnistAndKmnistHaveNoDownloadSource() {
    assertThat(DownloadSource.KNOWN).containsOnlyKeys("fashion-mnist");
    assertThat(DownloadSource.FASHION_MNIST.sha256ByFile())
        .containsOnlyKeys(
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz");
  }
}
