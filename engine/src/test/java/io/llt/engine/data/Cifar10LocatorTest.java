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

/** Where {@code cifar10} is looked for: each search place, directly or in the archive's directory. */
class Cifar10LocatorTest {
  private static final String SUB = "cifar-10-batches-bin";

  @TempDir Path tmp;

  private Path home() {
    return tmp.resolve("home");
  }

  private Path system() {
    return tmp.resolve("system");
  }

  private DataContext context(Map<String, String> env) {
    return new DataContext(
        tmp.resolve("configs"), env, home(), system(), true, DataType.FLOAT, 1L);
  }

  private Path locate(Map<String, String> env, Path explicit) {
    return new DatasetLocator(context(env))
        .locateFiles(
            "cifar10",
            explicit,
            Cifar10DataSource.fileNames(),
            Cifar10DataSource.ARCHIVE_DIR,
            Cifar10DataSource.howToGet());
  }

  private static Path abs(Path p) {
    return p.toAbsolutePath().normalize();
  }

  @Test
  void explicitPathIsRelativeToTheConfigDirAndMayHoldTheArchiveDirectory() {
    Cifar10TestFiles.dataset(tmp.resolve("configs/direct"));
    Cifar10TestFiles.dataset(tmp.resolve("configs/extracted").resolve(SUB));
    Cifar10TestFiles.dataset(system().resolve("cifar10")); // would be found, but must not be used

    assertThat(locate(Map.of(), Path.of("direct"))).isEqualTo(abs(tmp.resolve("configs/direct")));
    assertThat(locate(Map.of(), Path.of("extracted")))
        .isEqualTo(abs(tmp.resolve("configs/extracted").resolve(SUB)));
    assertThat(locate(Map.of(), Path.of("extracted", SUB)))
        .isEqualTo(abs(tmp.resolve("configs/extracted").resolve(SUB)));
  }

  @Test
  void theLoaderReadsFromTheArchiveDirectoryOfTheEnvDir() {
    Path env = tmp.resolve("env");
    Cifar10TestFiles.dataset(env.resolve("cifar10").resolve(SUB));
    Cifar10TestFiles.dataset(DatasetLocator.cacheDir(home(), "cifar10"));

    DataSplits s =
        Cifar10Config.defaults().load(context(Map.of("LLT_DATA_DIR", env.toString())));
    try {
      assertThat(s.files().get(0).path())
          .isEqualTo(abs(env.resolve("cifar10").resolve(SUB).resolve("data_batch_1.bin")));
      assertThat(s.train().size()).isEqualTo(Cifar10TestFiles.N_TRAIN);
    } finally {
      s.train().features().close();
      s.test().features().close();
    }
  }

  @Test
  void cacheComesBeforeSystemAndItsArchiveDirectoryIsFound() {
    Path cache = DatasetLocator.cacheDir(home(), "cifar10");
    assertThat(cache).isEqualTo(abs(home().resolve(".cache/llt/datasets/cifar10")));
    Cifar10TestFiles.dataset(cache.resolve(SUB));
    Cifar10TestFiles.dataset(system().resolve("cifar10"));
    // LLT_DATA_DIR is set but does not hold the dataset: it is skipped
    Map<String, String> env = Map.of("LLT_DATA_DIR", tmp.resolve("empty-env").toString());

    assertThat(locate(env, null)).isEqualTo(cache.resolve(SUB));
  }

  @Test
  void systemIsUsedLastAndThePlaceItselfBeforeItsArchiveDirectory() {
    Path system = system().resolve("cifar10");
    Cifar10TestFiles.dataset(system);
    Cifar10TestFiles.dataset(system.resolve(SUB));
    assertThat(locate(Map.of(), null)).isEqualTo(abs(system));
  }

  @Test
  void notFoundNamesEveryPlaceAndWhereToGetTheFiles() {
    assertThatThrownBy(() -> locate(Map.of(), null))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "dataset 'cifar10' not found; looked in: data.path (not set), $LLT_DATA_DIR (not set), "
                + home().resolve(".cache/llt/datasets/cifar10")
                + "[/cifar-10-batches-bin], "
                + system().resolve("cifar10")
                + "[/cifar-10-batches-bin]; it is never downloaded. Put data_batch_1.bin,"
                + " data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin,"
                + " test_batch.bin (the binary version) in one of those directories or in its"
                + " cifar-10-batches-bin sub-directory (where"
                + " https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz extracts), or set"
                + " data.path to theirs");
  }

  @Test
  void aPlaceHoldingSomeFilesIsNamedWithTheMissingOnes() throws Exception {
    Path env = tmp.resolve("env");
    Path partial = env.resolve("cifar10").resolve(SUB);
    Cifar10TestFiles.dataset(partial);
    Files.delete(partial.resolve("data_batch_2.bin"));
    Files.delete(partial.resolve("test_batch.bin"));

    assertThatThrownBy(() -> locate(Map.of("LLT_DATA_DIR", env.toString()), null))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            "looked in: data.path (not set), "
                + env.resolve("cifar10")
                + "[/cifar-10-batches-bin] (incomplete: "
                + partial
                + " lacks data_batch_2.bin, test_batch.bin) ($LLT_DATA_DIR), "
                + home().resolve(".cache/llt/datasets/cifar10")
                + "[/cifar-10-batches-bin], ")
        .hasMessageNotContaining("\n");
  }

  @Test
  void explicitPathMissingFilesNamesThemAndTheFullerDirectory() throws Exception {
    Path explicit = tmp.resolve("configs/partial");
    Cifar10TestFiles.dataset(explicit.resolve(SUB));
    Files.delete(explicit.resolve(SUB).resolve("data_batch_1.bin"));
    Cifar10TestFiles.dataset(system().resolve("cifar10")); // would be found, but must not be used

    assertThatThrownBy(() -> locate(Map.of(), Path.of("partial")))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "data.path "
                + abs(explicit)
                + "[/cifar-10-batches-bin] does not hold dataset 'cifar10': missing"
                + " data_batch_1.bin in "
                + abs(explicit.resolve(SUB))
                + "; put them there, or remove data.path to search the standard places");
  }

  @Test
  void explicitPathThatDoesNotExistOrIsAFileIsAnError() throws Exception {
    Cifar10TestFiles.dataset(system().resolve("cifar10"));
    assertThatThrownBy(() -> locate(Map.of(), tmp.resolve("nowhere")))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("data.path " + tmp.resolve("nowhere") + " does not exist;")
        .hasMessageContaining("data_batch_1.bin");
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    assertThatThrownBy(() -> locate(Map.of(), file))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("data.path " + file + " is a file;");
  }
}
