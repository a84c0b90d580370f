package io.llt.engine.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

import io.llt.engine.BadInputException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** Loads the real CIFAR-10 from the standard places; skipped when it is not installed. */
class Cifar10RealTest {
  @Test
  void loadsTheInstalledDataset() {
    DataContext context = DataContext.standard(Path.of("."), DataType.FLOAT, 1L);
    try {
      new DatasetLocator(context)
          .locateFiles(
              Cifar10Config.ID,
              null,
              Cifar10DataSource.fileNames(),
              Cifar10DataSource.ARCHIVE_DIR,
              Cifar10DataSource.howToGet());
    } catch (BadInputException e) {
      abort("CIFAR-10 is not installed: " + e.getMessage());
    }

    DataSplits s = new Cifar10Config(null, 5000, null, null, null).load(context);
    try {
      assertThat(s.train().size()).isEqualTo(45000);
      assertThat(s.validation().size()).isEqualTo(5000);
      assertThat(s.test().size()).isEqualTo(10000);
      assertThat(s.train().features().shape()).containsExactly(45000, 3072);
      assertThat(s.test().features().shape()).containsExactly(10000, 3072);
      for (Dataset d : new Dataset[] {s.train(), s.validation(), s.test()}) {
        int[] perClass = new int[10];
        for (int l : d.labels()) {
          perClass[l]++;
        }
        assertThat(Arrays.stream(perClass).boxed()).allMatch(c -> c > 0);
      }
      int[] testPerClass = new int[10];
      for (int l : s.test().labels()) {
        testPerClass[l]++;
      }
      assertThat(testPerClass).containsOnly(1000);
      assertThat(s.train().features().minNumber().doubleValue()).isEqualTo(0.0);
      assertThat(s.train().features().maxNumber().doubleValue()).isEqualTo(1.0);
      assertThat(s.files()).hasSize(6);
    } finally {
      s.train().features().close();
      s.validation().features().close();
      s.test().features().close();
    }
  }
}
