package io.llt.engine.data;

import static io.llt.engine.data.Cifar10TestFiles.N_TEST;
import static io.llt.engine.data.Cifar10TestFiles.N_TRAIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.llt.engine.BadInputException;
import io.llt.engine.config.InvalidValueException;
import java.nio.file.Files;
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

class Cifar10DataSourceTest {
  private static final String FIX =
      "re-extract https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";

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
      loaded = null;
    }
  }

  private DataContext context(DataType type, long seed) {
    return new DataContext(
        tmp, Map.of(), tmp.resolve("home"), tmp.resolve("system"), false, type, seed);
  }

  private DataSplits load(Cifar10Config config, long seed) {
    close();
    loaded = config.load(context(DataType.FLOAT, seed));
    return loaded;
  }

  private Path data() {
    return Cifar10TestFiles.dataset(tmp.resolve("c10"));
  }

  private static Cifar10Config config(
      Path dir, Integer validation, Normalization n, Integer trainLimit, Integer testLimit) {
    return new Cifar10Config(dir, validation, n, trainLimit, testLimit);
  }

  @Test
  void defaultsShapeAndClassesAreKnownWithoutLoading() {
    Cifar10Config c = Cifar10Config.defaults();
    assertThat(c.path()).isNull();
    assertThat(c.validation()).isZero();
    assertThat(c.normalization()).isEqualTo(Normalization.SCALE);
    assertThat(c.trainLimit()).isNull();
    assertThat(c.testLimit()).isNull();
    assertThat(c.exampleShape()).containsExactly(3, 32, 32);
    assertThat(c.numClasses()).isEqualTo(10);
    assertThat(Cifar10Config.ID).isEqualTo("cifar10");
  }

  @Test
  void singleFieldChecksNameTheComponent() {
    assertThatThrownBy(() -> new Cifar10Config(null, -1, null, null, null))
        .isInstanceOfSatisfying(
            InvalidValueException.class, e -> assertThat(e.component()).isEqualTo("validation"))
        .hasMessage("must be >= 0, found -1");
    assertThatThrownBy(() -> new Cifar10Config(null, null, null, 0, null))
        .isInstanceOfSatisfying(
            InvalidValueException.class, e -> assertThat(e.component()).isEqualTo("trainLimit"))
        .hasMessage("must be > 0, found 0");
    assertThatThrownBy(() -> new Cifar10Config(null, null, null, null, -3))
        .isInstanceOfSatisfying(
            InvalidValueException.class, e -> assertThat(e.component()).isEqualTo("testLimit"))
        .hasMessage("must be > 0, found -3");
  }

  @Test
  void scaleGivesEveryRecordByteOver255InFileOrder() {
    DataSplits s = load(config(data(), null, null, null, null), 1);

    assertThat(s.name()).isEqualTo("cifar10");
    assertThat(s.validation()).isNull();
    Dataset train = s.train();
    assertThat(train.size()).isEqualTo(N_TRAIN);
    assertThat(train.numClasses()).isEqualTo(10);
    assertThat(train.exampleShape()).containsExactly(3, 32, 32);
    INDArray x = train.features();
    assertThat(x.shape()).containsExactly(N_TRAIN, 3072);
    assertThat(x.dataType()).isEqualTo(DataType.FLOAT);
    assertThat(x.ordering()).isEqualTo('c');
    assertThat(x.isAttached()).isFalse();
    float[][] m = x.toFloatMatrix();
    for (int i = 0; i < N_TRAIN; i++) {
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < 32; y++) {
          for (int col = 0; col < 32; col++) {
            double expected = Cifar10TestFiles.pixel(0, i, c, y, col) / 255.0;
            assertThat((double) m[i][c * 1024 + y * 32 + col])
                .as("train %d channel %d (%d, %d)", i, c, y, col)
                .isCloseTo(expected, within(1e-6));
          }
        }
      }
      assertThat(train.labels()[i]).isEqualTo(Cifar10TestFiles.label(0, i));
    }

    Dataset test = s.test();
    assertThat(test.size()).isEqualTo(N_TEST);
    assertThat(test.exampleShape()).containsExactly(3, 32, 32);
    assertThat(test.features().shape()).containsExactly(N_TEST, 3072);
    assertThat(test.labels()).containsExactly(Cifar10TestFiles.label(1, 0), Cifar10TestFiles.label(1, 1));
    // viewed with the example shape, [i, c, y, x] is channel c at row y, column x
    INDArray images = test.features().reshape('c', N_TEST, 3, 32, 32);
    for (int[] at : new int[][] {{0, 0, 0, 0}, {1, 2, 31, 31}, {1, 1, 5, 17}, {0, 2, 0, 1}}) {
      assertThat(images.getDouble(at[0], at[1], at[2], at[3]))
          .isCloseTo(
              Cifar10TestFiles.pixel(1, at[0], at[1], at[2], at[3]) / 255.0, within(1e-6));
    }
  }

  @Test
  void redGreenAndBluePlanesFollowEachOtherRowMajor() {
    // one record per file: red all 10, green all 20, blue all 30, with one marker per plane
    byte[] rec = new byte[3073];
    rec[0] = 7;
    Arrays.fill(rec, 1, 1 + 1024, (byte) 10);
    Arrays.fill(rec, 1 + 1024, 1 + 2048, (byte) 20);
    Arrays.fill(rec, 1 + 2048, 3073, (byte) 30);
    rec[1 + 1 * 32 + 2] = (byte) 200; // red, row 1, column 2
    rec[1 + 1024 + 31 * 32] = (byte) 201; // green, row 31, column 0
    rec[1 + 2048 + 1023] = (byte) 255; // blue, last pixel
    Path dir = tmp.resolve("planes");
    for (String f : Cifar10DataSource.fileNames()) {
      Cifar10TestFiles.write(dir.resolve(f), rec);
    }

    DataSplits s = load(config(dir, null, Normalization.NONE, null, null), 1);

    assertThat(s.train().size()).isEqualTo(5);
    assertThat(s.train().labels()).containsOnly(7);
    double[] row = s.test().features().getRow(0).toDoubleVector();
    double[] expected = new double[3072];
    Arrays.fill(expected, 0, 1024, 10);
    Arrays.fill(expected, 1024, 2048, 20);
    Arrays.fill(expected, 2048, 3072, 30);
    expected[34] = 200;
    expected[1024 + 992] = 201;
    expected[3071] = 255;
    assertThat(row).containsExactly(expected);
    INDArray image = s.test().features().reshape('c', 1, 3, 32, 32);
    assertThat(image.getDouble(0, 0, 1, 2)).isEqualTo(200);
    assertThat(image.getDouble(0, 1, 31, 0)).isEqualTo(201);
    assertThat(image.getDouble(0, 2, 31, 31)).isEqualTo(255);
    assertThat(image.getDouble(0, 1, 0, 0)).isEqualTo(20);
  }

  @Test
  void trainingFilesAreConcatenatedInTheirNumberedOrder() {
    DataSplits s = load(config(data(), null, Normalization.NONE, null, null), 1);
    // pixel (0, 0, 0) of training example i is 17 i: the examples come in file order
    INDArray x = s.train().features();
    int[] firstPixels = new int[N_TRAIN];
    for (int i = 0; i < N_TRAIN; i++) {
      firstPixels[i] = (int) x.getDouble(i, 0);
    }
    assertThat(firstPixels).containsExactly(IntStream.range(0, N_TRAIN).map(i -> 17 * i).toArray());
    // data_batch_2.bin's only record is example 3, data_batch_5.bin's last one example 10
    assertThat(s.train().labels()[3]).isEqualTo(Cifar10TestFiles.label(0, 3));
    assertThat(x.getDouble(3, 1024 + 5 * 32 + 9)).isEqualTo(Cifar10TestFiles.pixel(0, 3, 1, 5, 9));
    assertThat(x.getDouble(10, 3071)).isEqualTo(Cifar10TestFiles.pixel(0, 10, 2, 31, 31));
    assertThat(s.train().labels())
        .containsExactly(IntStream.range(0, N_TRAIN).map(i -> Cifar10TestFiles.label(0, i)).toArray());
  }

  @Test
  void noneKeepsRawValuesAndDoubleIsHonoured() {
    loaded =
        config(data(), null, Normalization.NONE, null, null).load(context(DataType.DOUBLE, 1));
    INDArray x = loaded.train().features();
    assertThat(x.dataType()).isEqualTo(DataType.DOUBLE);
    assertThat(loaded.test().features().dataType()).isEqualTo(DataType.DOUBLE);
    assertThat(x.getDouble(4, 2048 + 100)).isEqualTo(Cifar10TestFiles.pixel(0, 4, 2, 3, 4));
    assertThat(x.maxNumber().doubleValue()).isLessThanOrEqualTo(255).isGreaterThan(1);
  }

  @Test
  void standardizeUsesOneMeanAndStdOverAllChannelsOfTheTrainingSplit() {
    Path dir = data();
    int[] ids = exampleIds(load(config(dir, 3, Normalization.NONE, null, null), 5));
    int[] trainIds = Arrays.copyOfRange(ids, 0, N_TRAIN - 3);

    DataSplits s = load(config(dir, 3, Normalization.STANDARDIZE, null, null), 5);
    INDArray train = s.train().features();
    assertThat(train.meanNumber().doubleValue()).isCloseTo(0, within(1e-4));
    assertThat(train.stdNumber().doubleValue()).isCloseTo(1, within(1e-2));

    double sum = 0;
    double sq = 0;
    long n = 0;
    for (int i : trainIds) {
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < 32; y++) {
          for (int col = 0; col < 32; col++) {
            double v = Cifar10TestFiles.pixel(0, i, c, y, col) / 255.0;
            sum += v;
            sq += v * v;
            n++;
          }
        }
      }
    }
    double mean = sum / n;
    double std = Math.sqrt(sq / n - mean * mean);
    for (int[] at : new int[][] {{0, 0, 0, 0}, {1, 2, 31, 31}, {0, 1, 7, 3}}) {
      double expected = (Cifar10TestFiles.pixel(1, at[0], at[1], at[2], at[3]) / 255.0 - mean) / std;
      assertThat(s.test().features().getDouble(at[0], at[1] * 1024 + at[2] * 32 + at[3]))
          .isCloseTo(expected, within(1e-4));
    }
    int firstHeldOut = ids[N_TRAIN - 3];
    double expectedVal = (Cifar10TestFiles.pixel(0, firstHeldOut, 2, 0, 5) / 255.0 - mean) / std;
    assertThat(s.validation().features().getDouble(0, 2048 + 5)).isCloseTo(expectedVal, within(1e-4));
  }

  @Test
  void validationIsDisjointCompleteSizedAndSeeded() {
    Path dir = data();
    int[] a = exampleIds(load(config(dir, 4, Normalization.NONE, null, null), 42));
    DataSplits first = loaded;
    assertThat(first.train().size()).isEqualTo(N_TRAIN - 4);
    assertThat(first.validation().size()).isEqualTo(4);
    assertThat(first.validation().exampleShape()).containsExactly(3, 32, 32);
    assertThat(first.validation().features().shape()).containsExactly(4, 3072);
    assertThat(first.test().size()).isEqualTo(N_TEST);
    int[] trainA = Arrays.copyOfRange(a, 0, N_TRAIN - 4);
    int[] valA = Arrays.copyOfRange(a, N_TRAIN - 4, N_TRAIN);

    Set<Integer> all = new HashSet<>();
    IntStream.of(a).forEach(all::add);
    assertThat(all).containsExactlyInAnyOrderElementsOf(IntStream.range(0, N_TRAIN).boxed().toList());
    assertThat(trainA).isSorted();
    assertThat(valA).isSorted();

    int[] again = exampleIds(load(config(dir, 4, Normalization.NONE, null, null), 42));
    assertThat(again).containsExactly(a);
    boolean differs = false;
    for (long seed = 43; seed < 48 && !differs; seed++) {
      int[] other = exampleIds(load(config(dir, 4, Normalization.NONE, null, null), seed));
      differs = !Arrays.equals(Arrays.copyOfRange(other, N_TRAIN - 4, N_TRAIN), valA);
    }
    assertThat(differs).as("another seed holds out other examples").isTrue();
  }

  /**
   * Returns the original index of each training example, then of each validation example, from
   * pixel (0, 0, 0) of its NONE-normalized row, and checks that its label and its last pixel belong
   * to that example.
   */
  private int[] exampleIds(DataSplits s) {
    int[] ids = new int[s.train().size() + s.validation().size()];
    int k = 0;
    for (Dataset d : new Dataset[] {s.train(), s.validation()}) {
      for (int i = 0; i < d.size(); i++) {
        int first = (int) d.features().getDouble(i, 0);
        assertThat(first % 17).isZero();
        int id = first / 17;
        assertThat(d.labels()[i]).isEqualTo(Cifar10TestFiles.label(0, id));
        assertThat(d.features().getDouble(i, 3071))
            .isEqualTo(Cifar10TestFiles.pixel(0, id, 2, 31, 31));
        ids[k++] = id;
      }
    }
    return ids;
  }

  @Test
  void limitsTakeTheFirstExamplesAcrossFileBoundaries() {
    // trainLimit 5 takes data_batch_1.bin (3), data_batch_2.bin (1) and 1 of data_batch_3.bin
    DataSplits s = load(config(data(), 2, Normalization.NONE, 5, 1), 1);
    assertThat(s.train().size()).isEqualTo(3);
    assertThat(s.validation().size()).isEqualTo(2);
    assertThat(s.test().size()).isEqualTo(1);
    int[] ids = exampleIds(s);
    assertThat(IntStream.of(ids).boxed().toList()).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
    assertThat(s.test().labels()).containsExactly(Cifar10TestFiles.label(1, 0));
    assertThat(s.test().features().getDouble(0, 1)).isEqualTo(Cifar10TestFiles.pixel(1, 0, 0, 0, 1));
    // every file is still hashed
    assertThat(s.files()).hasSize(6);
  }

  @Test
  void limitAboveTheFileSizeUsesAll() {
    DataSplits s = load(config(data(), null, null, 1_000_000, 1_000_000), 1);
    assertThat(s.train().size()).isEqualTo(N_TRAIN);
    assertThat(s.test().size()).isEqualTo(N_TEST);
  }

  @Test
  void validationAsLargeAsTheTrainingSetIsAnError() {
    Path dir = data();
    assertThatThrownBy(() -> load(config(dir, N_TRAIN, null, null, null), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "data.validation must be less than the number of training examples ("
                + N_TRAIN
                + "), found "
                + N_TRAIN);
    assertThatThrownBy(() -> load(config(dir, 4, null, 4, null), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "data.validation must be less than the number of training examples (4 after"
                + " data.trainLimit), found 4");
  }

  @Test
  void filesAreListedInReadingOrderWithTheirHashes() throws Exception {
    Path dir = data();
    DataSplits s = load(config(dir, null, null, null, null), 1);

    assertThat(s.files())
        .extracting(f -> f.path().getFileName().toString())
        .containsExactly(
            "data_batch_1.bin",
            "data_batch_2.bin",
            "data_batch_3.bin",
            "data_batch_4.bin",
            "data_batch_5.bin",
            "test_batch.bin");
    for (DataFile f : s.files()) {
      assertThat(f.path().getParent()).isEqualTo(dir.toAbsolutePath().normalize());
      assertThat(f.sha256()).isEqualTo(DownloaderTest.sha256(Files.readAllBytes(f.path())));
    }
  }

  @Test
  void aFileThatIsNotAWholeNumberOfRecordsIsAnErrorNamingItsSize() {
    Path dir = data();
    Path file = dir.resolve("data_batch_3.bin");
    byte[] two = Cifar10TestFiles.records(0, 4, 2);
    Cifar10TestFiles.write(file, Arrays.copyOf(two, two.length - 5));

    assertThatThrownBy(() -> load(config(dir, null, null, null, null), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            file.toAbsolutePath().normalize()
                + ": 6141 bytes is not a whole number of 3073-byte CIFAR-10 records (1 label byte"
                + " + 3072 pixel bytes); "
                + FIX);
  }

  @Test
  void anEmptyFileIsAnError() {
    Path dir = data();
    Path file = Cifar10TestFiles.write(dir.resolve("test_batch.bin"), new byte[0]);

    assertThatThrownBy(() -> load(config(dir, null, null, null, null), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            file.toAbsolutePath().normalize()
                + ": is empty (0 bytes), expected 3073-byte CIFAR-10 records (1 label byte + 3072"
                + " pixel bytes); "
                + FIX);
  }

  @Test
  void aLabelAbove9IsAnErrorNamingTheFileAndRecord() {
    Path dir = data();
    Path file = dir.resolve("data_batch_4.bin");
    byte[] records = Cifar10TestFiles.records(0, 6, 3);
    records[2 * 3073] = 10;
    Cifar10TestFiles.write(file, records);

    assertThatThrownBy(() -> load(config(dir, null, null, null, null), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            file.toAbsolutePath().normalize()
                + ": label 10 of record 2 is outside 0..9; is it a CIFAR-10 binary batch? "
                + FIX);

    // checked beyond data.trainLimit too, and 255 is not read as -1
    records[2 * 3073] = (byte) 255;
    Cifar10TestFiles.write(file, records);
    assertThatThrownBy(() -> load(config(dir, null, null, 2, null), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("data_batch_4.bin: label 255 of record 2 is outside 0..9");
  }

  @Test
  void aMissingFileIsAnErrorNamingItAndTheDirectory() throws Exception {
    Path dir = data();
    Files.delete(dir.resolve("data_batch_5.bin"));
    Path abs = dir.toAbsolutePath().normalize();

    assertThatThrownBy(() -> load(config(dir, null, null, null, null), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "data.path "
                + abs
                + "[/cifar-10-batches-bin] does not hold dataset 'cifar10': missing"
                + " data_batch_5.bin in "
                + abs
                + "; put them there, or remove data.path to search the standard places");
  }

  @Test
  void errorsAreOneLine() throws Exception {
    Path dir = data();
    Files.delete(dir.resolve("test_batch.bin"));
    assertThatThrownBy(() -> load(config(dir, null, null, null, null), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("missing test_batch.bin")
        .hasMessageNotContaining("\n");
    assertThatThrownBy(() -> load(Cifar10Config.defaults(), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("dataset 'cifar10' not found")
        .hasMessageNotContaining("\n");
  }
}
