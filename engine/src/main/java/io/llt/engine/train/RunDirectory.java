package io.llt.engine.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llt.engine.graph.BlockGraph;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The directory of one run, {@code runs/<name>-<timestamp>/}: {@code config.yaml} (the resolved
 * config), {@code metrics.jsonl} (one JSON object per epoch and block, and one per epoch), {@code
 * checkpoints/epoch-NNNN.ckpt}, and {@code summary.json}. Every file is written atomically (a
 * temporary file moved into place) or appended one whole line at a time.
 */
public final class RunDirectory {
  /** The resolved config's file name. */
  public static final String CONFIG = "config.yaml";
  /** The metrics file name. */
  public static final String METRICS = "metrics.jsonl";
  /** The summary file name. */
  public static final String SUMMARY = "summary.json";

  private static final Pattern CKPT = Pattern.compile("epoch-(\\d+)\\.ckpt");
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper JSON_LINE = new ObjectMapper();

  private final Path dir;

  /** Opens (and creates) a run directory. */
  public RunDirectory(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir.resolve("checkpoints"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create run directory " + dir, e);
    }
  }

  /** Returns the directory. */
  public Path path() {
    return dir;
  }

  /** Writes text to {@code name} atomically. */
  public void writeAtomically(String name, String text) throws IOException {
    writeAtomically(dir.resolve(name), text);
  }

  /** Writes text to {@code file} atomically (temporary file, then an atomic move). */
  public static void writeAtomically(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Appends one epoch's metrics: a line per block and a line for the epoch. */
  public void appendMetrics(EpochMetrics m) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (BlockMetrics b : m.blocks()) {
      if (Double.isNaN(b.loss())) {
        continue;
      }
      ObjectNode o = JSON_LINE.createObjectNode();
      o.put("kind", "block");
      o.put("epoch", m.epoch());
      o.put("block", b.blockId());
      o.put("loss", b.loss());
      o.put("learningRate", b.learningRate());
      o.put("seconds", b.seconds());
      if (b.paramLag() != null) {
        o.put("paramLag", b.paramLag());
      }
      if (!b.terms().isEmpty()) {
        ObjectNode terms = o.putObject("terms");
        b.terms().forEach(terms::put);
      }
      sb.append(JSON_LINE.writeValueAsString(o)).append('\n');
    }
    ObjectNode o = JSON_LINE.createObjectNode();
    o.put("kind", "epoch");
    o.put("epoch", m.epoch());
    o.put("totalEpochs", m.totalEpochs());
    if (m.activeBlock() != null) {
      o.put("activeBlock", m.activeBlock());
    }
    if (m.validationAccuracy() != null) {
      o.put("validationAccuracy", m.validationAccuracy());
    }
    if (Double.isNaN(m.testAccuracy())) {
      // a phase of blocks without class scores (SoftHebb's feature layers) is not evaluated
      o.putNull("testAccuracy");
    } else {
      o.put("testAccuracy", m.testAccuracy());
    }
    ObjectNode readouts = o.putObject("testReadouts");
    m.testReadouts().forEach(readouts::put);
    o.put("samplesPerSecond", m.samplesPerSecond());
    o.put("trainSeconds", m.trainSeconds());
    o.put("peakNativeBytes", m.peakNativeBytes());
    if (m.frozenFeatureSeconds() > 0) {
      o.put("frozenFeatureSeconds", m.frozenFeatureSeconds());
    }
    sb.append(JSON_LINE.writeValueAsString(o)).append('\n');
    Files.writeString(
        dir.resolve(METRICS),
        sb.toString(),
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  /** Drops metrics lines of epochs after {@code epochsCompleted} (before a resume appends again). */
  public void truncateMetrics(int epochsCompleted) throws IOException {
    Path f = dir.resolve(METRICS);
    if (!Files.exists(f)) {
      return;
    }
    List<String> keep = new ArrayList<>();
    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      try {
        if (JSON_LINE.readTree(line).path("epoch").asInt() <= epochsCompleted) {
          keep.add(line);
        }
      } catch (IOException e) {
        // a torn last line from a crash: drop it
      }
    }
    writeAtomically(f, keep.isEmpty() ? "" : String.join("\n", keep) + "\n");
  }

  /** Writes the checkpoint after {@code epoch} trainer epochs and keeps only the newest {@code keep} (0 keeps all). */
  public void writeCheckpoint(BlockGraph graph, int epoch, int keep) throws IOException {
    Checkpoints.write(checkpointPath(epoch), graph, epoch);
    pruneCheckpoints(keep);
  }

  /** Deletes all but the newest {@code keep} checkpoints; 0 keeps all. */
  public void pruneCheckpoints(int keep) throws IOException {
    if (keep > 0) {
      List<Integer> epochs = checkpointEpochs();
      for (int i = 0; i < epochs.size() - keep; i++) {
        Files.deleteIfExists(checkpointPath(epochs.get(i)));
      }
    }
  }

  /** Returns the path of the checkpoint after {@code epoch} trainer epochs. */
  public Path checkpointPath(int epoch) {
    return dir.resolve("checkpoints").resolve(String.format("epoch-%04d.ckpt", epoch));
  }

  /** Returns the newest checkpoint, if any. */
  public Optional<Path> latestCheckpoint() {
    List<Integer> e = checkpointEpochs();
    return e.isEmpty() ? Optional.empty() : Optional.of(checkpointPath(e.get(e.size() - 1)));
  }

  private List<Integer> checkpointEpochs() {
    List<Integer> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir.resolve("checkpoints"))) {
      s.forEach(
          p -> {
            Matcher m = CKPT.matcher(p.getFileName().toString());
            if (m.matches()) {
              out.add(Integer.parseInt(m.group(1)));
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.sort(Integer::compare);
    return out;
  }

  /** Writes {@code summary.json} atomically from an ordered map. */
  public void writeSummary(Map<String, Object> summary) throws IOException {
    writeAtomically(SUMMARY, JSON.writeValueAsString(summary) + "\n");
  }

  /** Returns a pretty JSON rendering of a value (for command output). */
  public static String toJson(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
