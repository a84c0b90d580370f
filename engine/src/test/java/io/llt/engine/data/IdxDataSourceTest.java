package io.llt.engine.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.llt.engine.BadInputException;
import io.llt.engine.config.InvalidValueException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class IdxDataSourceTest {
  private static final int N_TRAIN = 40;
  private static final int N_TEST = 12;

  @TempDir Path tmp;
  private DataSplits loaded;

  @AfterEach
  void close() {
    if (loaded != null) {
      loaded.train().features().close();
      if (loaded.validation() != null) {
        loaded.validation().features().close();
      }
      loaded.test().features().close();
    }
  }

  private DataContext context(DataType type, long seed) {
    return new DataContext(
        tmp, Map.of(), tmp.resolve("home"), tmp.resolve("system"), false, type, seed);
  }

  private DataSplits load(FashionMnistConfig config, long seed) {
    loaded = config.load(context(DataType.FLOAT, seed));
    return loaded;
  }

  private Path data(boolean gzip) {
    return IdxTestFiles.dataset(tmp.resolve("fm"), N_TRAIN, N_TEST, gzip);
  }

  @Test
  void defaultsAreFilledIn() {
    FashionMnistConfig c = FashionMnistConfig.defaults();
    assertThat(c.path()).isNull();
    assertThat(c.validation()).isZero();
    assertThat(c.normalization()).isEqualTo(Normalization.SCALE);
    assertThat(c.trainLimit()).isNull();
    assertThat(c.testLimit()).isNull();
    assertThat(new MnistConfig(null, 5, Normalization.NONE, 10, null))
        .isEqualTo(new MnistConfig(null, 5, Normalization.NONE, 10, null));
    assertThat(KmnistConfig.defaults().validation()).isZero();
  }

  @Test
  void singleFieldChecksNameTheComponent() {
    assertThatThrownBy(() -> new FashionMnistConfig(null, -1, null, null, null))
        .isInstanceOfSatisfying(
            InvalidValueException.class, e -> assertThat(e.component()).isEqualTo("validation"))
        .hasMessage("must be >= 0, found -1");
    assertThatThrownBy(() -> new MnistConfig(null, null, null, 0, null))
        .isInstanceOfSatisfying(
            InvalidValueException.class, e -> assertThat(e.component()).isEqualTo("trainLimit"))
        .hasMessage("must be > 0, found 0");
    assertThatThrownBy(() -> new KmnistConfig(null, null, null, null, -3))
        .isInstanceOfSatisfying(
            InvalidValueException.class, e -> assertThat(e.component()).isEqualTo("testLimit"))
        .hasMessage("must be > 0, found -3");
  }

  @Test
  void scaleGivesPixelsOver255InShapeAndOrder() {
    DataSplits s = load(new FashionMnistConfig(data(true), null, null, null, null), 1);

    assertThat(s.name()).isEqualTo("fashion-mnist");
    FashionMnistConfig config = FashionMnistConfig.defaults();
    assertThat(config.exampleShape()).containsExactly(s.train().exampleShape());
    assertThat(config.numClasses()).isEqualTo(s.train().numClasses());
    assertThat(new MnistConfig(null, null, null, null, null).exampleShape())
        .containsExactly(1, 28, 28);
    assertThat(KmnistConfig.defaults().numClasses()).isEqualTo(10);
    assertThat(s.validation()).isNull();
    Dataset train = s.train();
    assertThat(train.size()).isEqualTo(N_TRAIN);
    assertThat(train.numClasses()).isEqualTo(10);
    assertThat(train.exampleShape()).containsExactly(1, 28, 28);
    INDArray x = train.features();
    assertThat(x.shape()).containsExactly(N_TRAIN, 784);
    assertThat(x.dataType()).isEqualTo(DataType.FLOAT);
    assertThat(x.ordering()).isEqualTo('c');
    assertThat(x.isAttached()).isFalse();
    for (int i : new int[] {0, 17, N_TRAIN - 1}) {
      for (int p : new int[] {0, 1, 300, 783}) {
        assertThat(x.getDouble(i, p)).isCloseTo(IdxTestFiles.pixel(0, i, p) / 255.0, within(1e-6));
      }
      assertThat(train.labels()[i]).isEqualTo(IdxTestFiles.label(0, i));
    }
    assertThat(s.test().size()).isEqualTo(N_TEST);
    assertThat(s.test().features().getDouble(N_TEST - 1, 500))
        .isCloseTo(IdxTestFiles.pixel(1, N_TEST - 1, 500) / 255.0, within(1e-6));
    assertThat(s.test().labels()).containsExactly(IdxTestFiles.labelArray(1, N_TEST));
  }

  @Test
  void noneKeepsRawValuesAndDoubleIsHonoured() {
    loaded =
        new MnistConfig(data(false), null, Normalization.NONE, null, null)
            .load(context(DataType.DOUBLE, 1));
    INDArray x = loaded.train().features();
    assertThat(loaded.name()).isEqualTo("mnist");
    assertThat(x.dataType()).isEqualTo(DataType.DOUBLE);
    assertThat(x.getDouble(3, 100)).isEqualTo(IdxTestFiles.pixel(0, 3, 100));
    assertThat(x.maxNumber().doubleValue()).isLessThanOrEqualTo(255).isGreaterThan(1);
  }

  @Test
  void standardizeUsesTrainingStatisticsForEverySplit() {
    Path dir = data(true);
    // the split does not depend on the normalization: find the training ids with NONE first
    int[] ids =
        exampleIds(load(new FashionMnistConfig(dir, 10, Normalization.NONE, null, null), 5));
    close();
    int[] trainIds = Arrays.copyOfRange(ids, 0, N_TRAIN - 10);

    DataSplits s = load(new FashionMnistConfig(dir, 10, Normalization.STANDARDIZE, null, null), 5);
    INDArray train = s.train().features();
    assertThat(train.meanNumber().doubleValue()).isCloseTo(0, within(1e-4));
    assertThat(train.stdNumber().doubleValue()).isCloseTo(1, within(1e-2));

    byte[] px = IdxTestFiles.pixels(0, N_TRAIN);
    double sum = 0;
    double sq = 0;
    long n = 0;
    for (int i : trainIds) {
      for (int p = 0; p < 784; p++) {
        double v = (px[i * 784 + p] & 0xFF) / 255.0;
        sum += v;
        sq += v * v;
        n++;
      }
    }
    double mean = sum / n;
    double std = Math.sqrt(sq / n - mean * mean);
    for (int[] at : new int[][] {{0, 0}, {2, 77}, {N_TEST - 1, 783}}) {
      double expected = (IdxTestFiles.pixel(1, at[0], at[1]) / 255.0 - mean) / std;
      assertThat(s.test().features().getDouble(at[0], at[1])).isCloseTo(expected, within(1e-4));
    }
    int firstHeldOut = ids[N_TRAIN - 10];
    double expectedVal = (IdxTestFiles.pixel(0, firstHeldOut, 5) / 255.0 - mean) / std;
    assertThat(s.validation().features().getDouble(0, 5)).isCloseTo(expectedVal, within(1e-4));
  }

  @Test
  void validationIsDisjointCompleteAndSeeded() {
    int[] a =
        exampleIds(
            load(new FashionMnistConfig(data(true), 15, Normalization.NONE, null, null), 42));
    int[] trainA = Arrays.copyOfRange(a, 0, N_TRAIN - 15);
    int[] valA = Arrays.copyOfRange(a, N_TRAIN - 15, N_TRAIN);
    close();

    // disjoint and together exactly the training file
    Set<Integer> all = new HashSet<>();
    IntStream.of(a).forEach(all::add);
    assertThat(all).hasSize(N_TRAIN);
    assertThat(all)
        .containsExactlyInAnyOrderElementsOf(IntStream.range(0, N_TRAIN).boxed().toList());
    assertThat(valA).hasSize(15);

    // same seed, same split; another seed, another split
    int[] again =
        exampleIds(
            load(new FashionMnistConfig(data(true), 15, Normalization.NONE, null, null), 42));
    close();
    int[] other =
        exampleIds(
            load(new FashionMnistConfig(data(true), 15, Normalization.NONE, null, null), 43));
    assertThat(again).containsExactly(a);
    assertThat(Arrays.copyOfRange(other, N_TRAIN - 15, N_TRAIN)).isNotEqualTo(valA);
    assertThat(trainA).isSorted();
  }

  /**
   * Returns the original index of each training example, then of each validation example, found
   * from pixel 0 and pixel 1 of its NONE-normalized row (unique per image in the generated data).
   */
  private int[] exampleIds(DataSplits s) {
    assertThat(s.validation().labels()).hasSize(s.validation().size());
    int[] ids = new int[s.train().size() + s.validation().size()];
    int k = 0;
    for (Dataset d : new Dataset[] {s.train(), s.validation()}) {
      for (int i = 0; i < d.size(); i++) {
        int id = originalIndex(d.features().getRow(i).toDoubleVector());
        assertThat(d.labels()[i]).isEqualTo(IdxTestFiles.label(0, id));
        ids[k++] = id;
      }
    }
    return ids;
  }

  private static int originalIndex(double[] row) {
    for (int i = 0; i < N_TRAIN; i++) {
      boolean same = true;
      for (int p = 0; p < 784 && same; p++) {
        same = row[p] == IdxTestFiles.pixel(0, i, p);
      }
      if (same) {
        return i;
      }
    }
    throw new AssertionError("row not found");
  }

  @Test
  void limitsTakeTheFirstExamples() {
    DataSplits s = load(new FashionMnistConfig(data(false), 2, Normalization.NONE, 7, 3), 1);
    assertThat(s.train().size()).isEqualTo(5);
    assertThat(s.validation().size()).isEqualTo(2);
    assertThat(s.test().size()).isEqualTo(3);
    Set<Integer> ids = new HashSet<>();
    for (Dataset d : new Dataset[] {s.train(), s.validation()}) {
      for (int i = 0; i < d.size(); i++) {
        ids.add(originalIndex(d.features().getRow(i).toDoubleVector()));
      }
    }
    assertThat(ids).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6);
    assertThat(s.test().labels())
        .containsExactly(
            IdxTestFiles.label(1, 0), IdxTestFiles.label(1, 1), IdxTestFiles.label(1, 2));
  }

  @Test
  void limitAboveTheFileSizeUsesAll() {
    DataSplits s = load(new FashionMnistConfig(data(true), null, null, 1_000_000, 1_000_000), 1);
    assertThat(s.train().size()).isEqualTo(N_TRAIN);
    assertThat(s.test().size()).isEqualTo(N_TEST);
  }

  @Test
  void validationAsLargeAsTheTrainingSetIsAnError() {
    Path dir = data(true);
    assertThatThrownBy(() -> load(new FashionMnistConfig(dir, N_TRAIN, null, null, null), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "data.validation must be less than the number of training examples ("
                + N_TRAIN
                + "), found "
                + N_TRAIN);
    assertThatThrownBy(() -> load(new FashionMnistConfig(dir, 9, null, 9, null), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("data.validation")
        .hasMessageContaining("(9 after data.trainLimit), found 9");
  }

  @Test
  void labelAndImageCountMismatchIsAnError() {
    Path dir = data(true);
    IdxTestFiles.write(
        dir.resolve("t10k-labels-idx1-ubyte.gz"),
        IdxTestFiles.gzip(IdxTestFiles.labels(IdxTestFiles.labelArray(1, N_TEST - 1))));

    assertThatThrownBy(() -> load(new FashionMnistConfig(dir, null, null, null, null), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("t10k-labels-idx1-ubyte.gz: " + (N_TEST - 1) + " labels but")
        .hasMessageContaining("t10k-images-idx3-ubyte.gz has " + N_TEST + " images");
  }

  @Test
  void labelOutOfRangeIsAnError() {
    Path dir = data(false);
    int[] labels = IdxTestFiles.labelArray(0, N_TRAIN);
    labels[5] = 10;
    IdxTestFiles.write(dir.resolve("train-labels-idx1-ubyte"), IdxTestFiles.labels(labels));

    assertThatThrownBy(() -> load(new FashionMnistConfig(dir, null, null, null, null), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("train-labels-idx1-ubyte: label 10 of example 5 is outside 0..9");
  }

  @Test
  void wrongImageSizeIsAnError() {
    Path dir = data(false);
    IdxTestFiles.write(
        dir.resolve("t10k-images-idx3-ubyte"),
        IdxTestFiles.images(2, 32, 32, new byte[2 * 32 * 32]));
    assertThatThrownBy(() -> load(new FashionMnistConfig(dir, null, null, null, null), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            "t10k-images-idx3-ubyte: images are 32x32, expected 28x28 for 'fashion-mnist'");
  }

  @Test
  void filesAreListedWithTheirHashes() throws Exception {
    Path dir = data(true);
    DataSplits s = load(new FashionMnistConfig(dir, null, null, null, null), 1);

    assertThat(s.files())
        .extracting(f -> f.path().getFileName().toString())
        .containsExactly(
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz");
    for (DataFile f : s.files()) {
      assertThat(f.sha256())
          .isEqualTo(DownloaderTest.sha256(java.nio.file.Files.readAllBytes(f.path())));
    }
  }
}
