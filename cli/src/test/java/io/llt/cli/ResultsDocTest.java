package io.llt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every figure quoted in docs/RESULTS.md is backed by a kept JSON file. A figure row reads
 * {@code | what | value | results/FILE.json | /json/pointer |}; the value is a number, optionally
 * with a unit: {@code %} (the JSON holds a fraction), {@code x}, {@code samples/s}, {@code
 * ms/batch}, {@code GFLOP/s}, {@code ms}, {@code s}, {@code MiB} (the JSON holds
 * bytes), or none. The quoted value must equal the JSON value rounded as written.
 */
class ResultsDocTest {
  private static final Path DOCS = Path.of("..", "docs");
  private static final Pattern ROW =
      Pattern.compile(
          "^\\|[^|]*\\|\\s*([-0-9.,]+)\\s*(%|x|MiB|samples/s|ms/batch|GFLOP/s|ms|s)?\\s*\\|\\s*`?(results/[^|`]+\\.json)`?\\s*\\|\\s*`?(/[^|`]*)`?\\s*\\|\\s*$");

  @Test
  void everyQuotedFigureMatchesItsJson() throws IOException {
    List<String> lines = Files.readAllLines(DOCS.resolve("RESULTS.md"));
    ObjectMapper json = new ObjectMapper();
    List<String> problems = new ArrayList<>();
    int rows = 0;
    for (String line : lines) {
      Matcher m = ROW.matcher(line.trim());
      if (!m.matches()) {
        if (line.trim().startsWith("|") && line.contains("results/") && line.contains(".json")) {
          problems.add(line + " -> names a results file but is not a checkable figure row");
        }
        continue;
      }
      rows++;
      String quoted = m.group(1).replace(",", "");
      String unit = m.group(2) == null ? "" : m.group(2);
      Path file = DOCS.resolve(m.group(3));
      if (!Files.exists(file)) {
        problems.add(line + " -> missing " + file);
        continue;
      }
      JsonNode node = json.readTree(file.toFile()).at(m.group(4).trim());
      if (node.isMissingNode() || !node.isNumber()) {
        problems.add(line + " -> no number at " + m.group(4));
        continue;
      }
      double v = node.asDouble();
      if (unit.equals("%")) {
        v *= 100;
      } else if (unit.equals("MiB")) {
        v /= 1024.0 * 1024.0;
      }
      int decimals = quoted.contains(".") ? quoted.length() - quoted.indexOf('.') - 1 : 0;
      double q = Double.parseDouble(quoted);
      if (Math.abs(v - q) > 0.5 * Math.pow(10, -decimals) + 1e-9) {
        problems.add(line + " -> JSON says " + v);
      }
    }
    assertThat(rows).as("figure rows in RESULTS.md").isGreaterThan(0);
    assertThat(problems).isEmpty();
  }
}
