package io.llt.engine.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.config.InvalidValueException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class SyntheticConfigTest {
  private static DataContext context(long seed, DataType type) {
    return new DataContext(Path.of("."), Map.of(), Path.of("."), Path.of("."), false, type, seed);
  }

  private static void close(DataSplits s) {
    s.train().features().close();
    if (s.validation() != null) {
      s.validation().features().close();
    }
    s.test().features().close();
  }

  @Test
  void defaults() {
    SyntheticConfig c = SyntheticConfig.defaults();
    assertThat(c).isEqualTo(new SyntheticConfig(16, 3, 512, 256, 0, 0.5));
  }

  @Test
  void shapesAndSplits() {
    SyntheticConfig config = new SyntheticConfig(5, 4, 100, 30, 20, null);
    assertThat(config.exampleShape()).containsExactly(5);
    assertThat(config.numClasses()).isEqualTo(4);
    DataSplits s = config.load(context(1, DataType.FLOAT));
    try {
      assertThat(s.name()).isEqualTo("synthetic");
      assertThat(s.files()).isEmpty();
      assertThat(s.train().size()).isEqualTo(80);
      assertThat(s.validation().size()).isEqualTo(20);
      assertThat(s.test().size()).isEqualTo(30);
      assertThat(s.train().features().shape()).containsExactly(80, 5);
      assertThat(s.train().features().dataType()).isEqualTo(DataType.FLOAT);
      assertThat(s.train().exampleShape()).containsExactly(5);
      assertThat(s.train().numClasses()).isEqualTo(4);
      assertThat(java.util.Arrays.stream(s.train().labels()).boxed())
          .allMatch(l -> l >= 0 && l < 4);
      // every class occurs
      Set<Integer> classes = new HashSet<>();
      for (int l : s.train().labels()) {
        classes.add(l);
      }
      assertThat(classes).hasSize(4);
      // validation rows are not training rows
      Set<String> trainRows = new HashSet<>();
      for (int i = 0; i < s.train().size(); i++) {
        trainRows.add(s.train().features().getRow(i).toString());
      }
      for (int i = 0; i < s.validation().size(); i++) {
        assertThat(trainRows).doesNotContain(s.validation().features().getRow(i).toString());
      }
    } finally {
      close(s);
    }
  }

  @Test
  void deterministicPerSeed() {
    SyntheticConfig c = new SyntheticConfig(8, 3, 64, 32, 8, 0.3);
    DataSplits a = c.load(context(7, DataType.FLOAT));
    DataSplits b = c.load(context(7, DataType.FLOAT));
    DataSplits other = c.load(context(8, DataType.FLOAT));
    try {
      assertThat(a.train().features()).isEqualTo(b.train().features());
      assertThat(a.validation().features()).isEqualTo(b.validation().features());
      assertThat(a.test().features()).isEqualTo(b.test().features());
      assertThat(a.train().labels()).containsExactly(b.train().labels());
      assertThat(a.test().labels()).containsExactly(b.test().labels());
      assertThat(other.train().features()).isNotEqualTo(a.train().features());
    } finally {
      close(a);
      close(b);
      close(other);
    }
  }

  @Test
  void doubleDataTypeIsHonoured() {
    DataSplits s = SyntheticConfig.defaults().load(context(1, DataType.DOUBLE));
    try {
      assertThat(s.train().features().dataType()).isEqualTo(DataType.DOUBLE);
      assertThat(s.test().features().dataType()).isEqualTo(DataType.DOUBLE);
    } finally {
      close(s);
    }
  }

  @Test
  void learnableByALinearModel() {
    // nearest class mean is a linear classifier; it must beat chance (1/3) by far
    DataSplits s = SyntheticConfig.defaults().load(context(3, DataType.FLOAT));
    try {
      int k = 3;
      int d = 16;
      double[][] means = new double[k][d];
      int[] counts = new int[k];
      INDArray x = s.train().features();
      for (int i = 0; i < s.train().size(); i++) {
        int c = s.train().labels()[i];
        counts[c]++;
        for (int j = 0; j < d; j++) {
          means[c][j] += x.getDouble(i, j);
        }
      }
      for (int c = 0; c < k; c++) {
        for (int j = 0; j < d; j++) {
          means[c][j] /= counts[c];
        }
      }
      INDArray t = s.test().features();
      int correct = 0;
      for (int i = 0; i < s.test().size(); i++) {
        int best = -1;
        double bestDist = Double.MAX_VALUE;
        for (int c = 0; c < k; c++) {
          double dist = 0;
          for (int j = 0; j < d; j++) {
            double diff = t.getDouble(i, j) - means[c][j];
            dist += diff * diff;
          }
          if (dist < bestDist) {
            bestDist = dist;
            best = c;
          }
        }
        if (best == s.test().labels()[i]) {
          correct++;
        }
      }
      double accuracy = correct / (double) s.test().size();
      assertThat(accuracy).isGreaterThan(0.75);
    } finally {
      close(s);
    }
  }

  @Test
  void checksNameTheComponent() {
    assertInvalid(
        () -> new SyntheticConfig(0, null, null, null, null, null),
        "features",
        "must be > 0, found 0");
    assertInvalid(
        () -> new SyntheticConfig(null, 1, null, null, null, null),
        "classes",
        "must be >= 2, found 1");
    assertInvalid(
        () -> new SyntheticConfig(null, null, -5, null, null, null),
        "trainSize",
        "must be > 0, found -5");
    assertInvalid(
        () -> new SyntheticConfig(null, null, null, 0, null, null),
        "testSize",
        "must be > 0, found 0");
    assertInvalid(
        () -> new SyntheticConfig(null, null, null, null, -1, null),
        "validation",
        "must be >= 0, found -1");
    assertInvalid(
        () -> new SyntheticConfig(null, null, 10, null, 10, null),
        "validation",
        "must be less than trainSize (10), found 10");
    assertInvalid(
        () -> new SyntheticConfig(null, null, null, null, null, -0.1),
        "noise",
        "must be finite and >= 0, found -0.1");
    assertInvalid(
        () -> new SyntheticConfig(null, null, null, null, null, Double.NaN),
        "noise",
        "must be finite and >= 0, found NaN");
  }

  private static void assertInvalid(Runnable r, String component, String message) {
    assertThatThrownBy(r::run)
        .isInstanceOfSatisfying(
            InvalidValueException.class, e -> assertThat(e.component()).isEqualTo(component))
        .hasMessage(message);
  }
}
