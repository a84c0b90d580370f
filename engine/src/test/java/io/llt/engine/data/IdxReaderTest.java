package io.llt.engine.data;

import static io.llt.engine.data.IdxTestFiles.gzip;
import static io.llt.engine.data.IdxTestFiles.images;
import static io.llt.engine.data.IdxTestFiles.labels;
import static io.llt.engine.data.IdxTestFiles.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.llt.engine.BadInputException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
  @TempDir Path dir;

  /** Two 2x3 images with distinct values, including ones above 127 (unsigned). */
  private static final byte[] PIXELS = {
    0, 1, 2, 3, 4, 5, (byte) 128, (byte) 200, (byte) 255, 9, 10, 11
  };

  @Test
  void readsRawImagesAndLabels() {
    Path img = write(dir.resolve("img"), images(2, 2, 3, PIXELS));
    Path lab = write(dir.resolve("lab"), labels(new int[] {7, 255}));

    IdxImages images = IdxReader.readImages(img);
    assertThat(images.count()).isEqualTo(2);
    assertThat(images.rows()).isEqualTo(2);
    assertThat(images.cols()).isEqualTo(3);
    assertThat(images.pixels()).containsExactly(PIXELS);
    assertThat(images.pixel(1, 0, 0)).isEqualTo(128);
    assertThat(images.pixel(1, 0, 2)).isEqualTo(255);
    assertThat(images.pixel(1, 1, 2)).isEqualTo(11);
    assertThat(IdxReader.readLabels(lab)).containsExactly(7, 255);
  }

  @Test
  void readsGzipDetectedByContentNotName() {
    // gzip content under a raw-looking name, and raw content under a .gz name
    Path gzNoSuffix = write(dir.resolve("images-without-suffix"), gzip(images(2, 2, 3, PIXELS)));
    Path rawWithSuffix = write(dir.resolve("labels.gz"), labels(new int[] {3, 4}));
    Path gzLabels = write(dir.resolve("labels2.gz"), gzip(labels(new int[] {1, 0, 9})));

    assertThat(IdxReader.readImages(gzNoSuffix).pixels()).containsExactly(PIXELS);
    assertThat(IdxReader.readLabels(rawWithSuffix)).containsExactly(3, 4);
    assertThat(IdxReader.readLabels(gzLabels)).containsExactly(1, 0, 9);
  }

  @Test
  void truncatedRawFileIsReportedWithCounts() {
    byte[] full = images(2, 2, 3, PIXELS);
    Path img = write(dir.resolve("short-images"), Arrays.copyOf(full, full.length - 5));

    assertThatThrownBy(() -> IdxReader.readImages(img))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(img.toString() + ": ")
        .hasMessageContaining("truncated IDX file: header promises 12 bytes of data, found 7")
        .hasMessageContaining("re-download or reinstall the dataset");
  }

  @Test
  void truncatedGzipContentIsReported() {
    byte[] full = labels(new int[] {1, 2, 3, 4});
    Path lab = write(dir.resolve("short-labels.gz"), gzip(Arrays.copyOf(full, full.length - 1)));

    assertThatThrownBy(() -> IdxReader.readLabels(lab))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(lab.toString())
        .hasMessageContaining("truncated IDX file: header promises 4 bytes of data, found 3");
  }

  @Test
  void gzipFileCutShortIsReported() {
    byte[] gz = gzip(images(50, 28, 28, IdxTestFiles.pixels(0, 50)));
    Path img = write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length / 2));

    assertThatThrownBy(() -> IdxReader.readImages(img))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(img.toString())
        .hasMessageContaining("truncated");
  }

  @Test
  void headerTooShortIsTruncated() {
    Path img = write(dir.resolve("tiny"), new byte[] {0, 0, 8, 3, 0, 0});
    assertThatThrownBy(() -> IdxReader.readImages(img))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(img.toString())
        .hasMessageContaining("truncated");
  }

  @Test
  void trailingGarbageIsAnError() {
    byte[] full = images(2, 2, 3, PIXELS);
    Path img = write(dir.resolve("long"), Arrays.copyOf(full, full.length + 3));

    assertThatThrownBy(() -> IdxReader.readImages(img))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(img.toString())
        .hasMessageContaining("3 bytes of trailing garbage");
  }

  @Test
  void labelFileReadAsImagesHasWrongMagic() {
    Path lab = write(dir.resolve("labels"), labels(new int[] {1, 2}));

    assertThatThrownBy(() -> IdxReader.readImages(lab))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(
            lab + ": not an IDX image file (magic 0x00000801, expected 0x00000803");
  }

  @Test
  void nonIdxFileHasWrongMagic() {
    Path txt = write(dir.resolve("readme.txt"), "hello world, not IDX".getBytes());

    assertThatThrownBy(() -> IdxReader.readLabels(txt))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(
            txt + ": not an IDX label file (magic 0x68656c6c, expected 0x00000801)");
  }

  @Test
  void nonByteDataTypeIsRejected() {
    ByteBuffer b = ByteBuffer.allocate(8 + 8);
    b.putInt(0x00000D01).putInt(2).putFloat(1f).putFloat(2f);
    Path f = write(dir.resolve("floats"), b.array());

    assertThatThrownBy(() -> IdxReader.readLabels(f))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(f.toString())
        .hasMessageContaining("data type 0x0d (float) is not supported, only 0x08 (unsigned byte)");
  }

  @Test
  void negativeSizeIsRejected() {
    ByteBuffer b = ByteBuffer.allocate(16);
    b.putInt(IdxReader.IMAGES_MAGIC).putInt(-1).putInt(28).putInt(28);
    Path f = write(dir.resolve("neg"), b.array());

    assertThatThrownBy(() -> IdxReader.readImages(f))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(f.toString())
        .hasMessageContaining("size -1");
  }

  @Test
  void missingFileIsReported() {
    Path f = dir.resolve("nope");
    assertThatThrownBy(() -> IdxReader.readImages(f))
        .isInstanceOf(BadInputException.class)
        .hasMessage(f + ": no such file");
  }

  @Test
  void readsRealFashionMnistTrainImages() {
    Path f = Path.of("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
    assumeTrue(Files.isRegularFile(f), "Fashion-MNIST is not installed");
    IdxImages images = IdxReader.readImages(f);

    assertThat(images.count()).isEqualTo(60000);
    assertThat(images.rows()).isEqualTo(28);
    assertThat(images.cols()).isEqualTo(28);
  }
}
