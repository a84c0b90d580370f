package io.llt.engine.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** Loads the installed Fashion-MNIST; skipped when {@code dataset-fashion-mnist} is absent. */
class FashionMnistRealTest {
  private static final Path SYSTEM = Path.of("/usr/share/datasets");

  @TempDir Path home;

  @Test
  void loadsTheInstalledDataset() {
    assumeTrue(
        DatasetLocator.find(SYSTEM.resolve("fashion-mnist")).isPresent(),
        "Fashion-MNIST is not installed under /usr/share/datasets/fashion-mnist");
    DataContext context = new DataContext(home, Map.of(), home, SYSTEM, false, DataType.FLOAT, 1L);

    DataSplits s = new FashionMnistConfig(null, 5000, null, null, null).load(context);
    try {
      assertThat(s.train().size()).isEqualTo(55000);
      assertThat(s.validation().size()).isEqualTo(5000);
      assertThat(s.test().size()).isEqualTo(10000);
      assertThat(s.train().features().shape()).containsExactly(55000, 784);
      assertThat(s.test().features().shape()).containsExactly(10000, 784);
      for (Dataset d : new Dataset[] {s.train(), s.validation(), s.test()}) {
        int[] perClass = new int[10];
        for (int l : d.labels()) {
          assertThat(l).isBetween(0, 9);
          perClass[l]++;
        }
        assertThat(java.util.Arrays.stream(perClass).boxed()).allMatch(c -> c > 0);
      }
      assertThat(s.train().features().minNumber().doubleValue()).isEqualTo(0.0);
      assertThat(s.train().features().maxNumber().doubleValue()).isEqualTo(1.0);
      assertThat(s.files()).hasSize(4);
      assertThat(s.files().get(0).sha256())
          .isEqualTo(DownloadSource.FASHION_MNIST.sha256ByFile().get("train-images-idx3-ubyte.gz"));
      assertThat(Files.exists(home.resolve(".cache"))).isFalse();
    } finally {
      s.train().features().close();
      s.validation().features().close();
      s.test().features().close();
    }
  }
}
