package io.llt.engine.data.graph;

import io.llt.engine.BadInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the plain-text graph files of {@code ../shared/data} (see its README): sparse feature rows
 * ({@code col:value} tokens, one line per node), one label per line, edge lines {@code u v}, and
 * node-id lists. Every malformed line is a {@link BadInputException} naming the file, the line and
 * what was expected.
 */
public final class GraphTextReader {
  private GraphTextReader() {}

  /**
   * Reads {@code features.txt} into a dense row-major array.
   *
   * @param width the feature width; every column must be below it
   * @return {@code numNodes * width} values
   */
  public static float[] features(Path file, int numNodes, int width) {
    float[] x = new float[Math.multiplyExact(numNodes, width)];
    List<String> lines = lines(file);
    if (lines.size() != numNodes) {
      throw new BadInputException(
          file + " has " + lines.size() + " lines but the graph has " + numNodes
              + " nodes; it needs one line per node (an empty line for an all-zero row)");
    }
    for (int i = 0; i < numNodes; i++) {
      String line = lines.get(i).trim();
      if (line.isEmpty()) {
        continue;
      }
      int prev = -1;
      for (String tok : line.split("\\s+")) {
        int colon = tok.indexOf(':');
        if (colon <= 0) {
          throw bad(file, i, "'" + tok + "' is not col:value");
        }
        int col;
        float v;
        try {
          col = Integer.parseInt(tok.substring(0, colon));
          v = Float.parseFloat(tok.substring(colon + 1));
        } catch (NumberFormatException e) {
          throw bad(file, i, "'" + tok + "' is not col:value with an integer column and a number");
        }
        if (col < 0 || col >= width) {
          throw bad(file, i, "column " + col + " is outside 0.." + (width - 1));
        }
        if (col <= prev) {
          throw bad(file, i, "columns must ascend, found " + col + " after " + prev);
        }
        if (!Float.isFinite(v)) {
          throw bad(file, i, "value " + v + " is not finite");
        }
        prev = col;
        x[i * width + col] = v;
      }
    }
    return x;
  }

  /**
   * Reads one integer label per line; {@code -1} marks an unlabelled node.
   *
   * @param numClasses labels must be below it
   */
  public static int[] labels(Path file, int numClasses) {
    List<String> lines = lines(file);
    int[] y = new int[lines.size()];
    for (int i = 0; i < y.length; i++) {
      int v = integer(file, i, lines.get(i).trim());
      if (v < -1 || v >= numClasses) {
        throw bad(file, i, "label " + v + " is outside -1.." + (numClasses - 1));
      }
      y[i] = v;
    }
    if (y.length == 0) {
      throw new BadInputException(file + " is empty; it needs one label per node");
    }
    return y;
  }

  /**
   * Reads edge lines {@code u v} (two node ids separated by white space).
   *
   * @return {@code {us, vs}}
   */
  public static int[][] edges(Path file, int numNodes) {
    List<String> lines = lines(file);
    int[] u = new int[lines.size()];
    int[] v = new int[lines.size()];
    int n = 0;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (line.isEmpty()) {
        continue;
      }
      String[] parts = line.split("\\s+");
      if (parts.length != 2) {
        throw bad(file, i, "'" + line + "' is not an edge 'u v'");
      }
      u[n] = node(file, i, parts[0], numNodes);
      v[n] = node(file, i, parts[1], numNodes);
      n++;
    }
    return new int[][] {java.util.Arrays.copyOf(u, n), java.util.Arrays.copyOf(v, n)};
  }

  /** Reads a list of node ids, one per line, each once. */
  public static int[] nodeIds(Path file, int numNodes) {
    List<String> lines = lines(file);
    List<Integer> ids = new ArrayList<>();
    boolean[] seen = new boolean[numNodes];
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (line.isEmpty()) {
        continue;
      }
      int id = node(file, i, line, numNodes);
      if (seen[id]) {
        throw bad(file, i, "node " + id + " is listed twice");
      }
      seen[id] = true;
      ids.add(id);
    }
    if (ids.isEmpty()) {
      throw new BadInputException(file + " lists no nodes; it needs one node id per line");
    }
    return ids.stream().mapToInt(Integer::intValue).sorted().toArray();
  }

  /** Returns the number of lines of a file (for example {@code attr_names.txt}). */
  public static int countLines(Path file) {
    return lines(file).size();
  }

  private static int node(Path file, int line, String tok, int numNodes) {
    int id = integer(file, line, tok);
    if (id < 0 || id >= numNodes) {
      throw bad(file, line, "node " + id + " is outside 0.." + (numNodes - 1));
    }
    return id;
  }

  private static int integer(Path file, int line, String tok) {
    try {
      return Integer.parseInt(tok);
    } catch (NumberFormatException e) {
      throw bad(file, line, "'" + tok + "' is not an integer");
    }
  }

  private static BadInputException bad(Path file, int line, String what) {
    return new BadInputException(file + ":" + (line + 1) + ": " + what);
  }

  private static List<String> lines(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new BadInputException(
          file + " does not exist; check data.path (see ../shared/data/README.md for the layout)");
    }
    List<String> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        out.add(line);
      }
    } catch (IOException e) {
      throw new BadInputException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return out;
  }
}
