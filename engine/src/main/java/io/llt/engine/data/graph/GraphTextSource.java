package io.llt.engine.data.graph;

import io.llt.engine.BadInputException;
import io.llt.engine.data.DataFile;
import io.llt.engine.data.Sha256;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Builds a {@link NodeGraph} from the text files of {@code ../shared/data}: reads them, prepares
 * the features and checks that the split is a valid partition of labelled nodes.
 */
public final class GraphTextSource {
  private GraphTextSource() {}

  /**
   * The files of one graph and how to prepare it.
   *
   * @param name the dataset name
   * @param features {@code features.txt}
   * @param labels {@code labels.txt}
   * @param edges the edge file
   * @param train the training node list
   * @param validation the validation node list
   * @param test the test node list
   * @param numFeatures the feature width
   * @param numClasses the number of classes
   * @param binarize replace every non-zero feature by 1 (PyG's CitationFull loader)
   * @param rowNormalize divide every feature row by its sum, or by 1 when the sum is below 1
   *     (PyG's {@code NormalizeFeatures} on non-negative features)
   */
  public record Files(
      String name,
      Path features,
      Path labels,
      Path edges,
      Path train,
      Path validation,
      Path test,
      int numFeatures,
      int numClasses,
      boolean binarize,
      boolean rowNormalize) {}

  /** Reads and prepares the graph; the features are in {@code dataType}, outside workspaces. */
  public static NodeGraph load(Files f, DataType dataType) {
    int[] labels = GraphTextReader.labels(f.labels(), f.numClasses());
    int n = labels.length;
    float[] x = GraphTextReader.features(f.features(), n, f.numFeatures());
    prepare(x, n, f.numFeatures(), f.binarize(), f.rowNormalize(), f.features());
    int[][] e = GraphTextReader.edges(f.edges(), n);
    Adjacency adj = Adjacency.undirected(n, e[0], e[1]);
    int[] train = GraphTextReader.nodeIds(f.train(), n);
    int[] val = GraphTextReader.nodeIds(f.validation(), n);
    int[] test = GraphTextReader.nodeIds(f.test(), n);
    checkSplit(f, labels, train, val, test);
    List<DataFile> files = new ArrayList<>();
    for (Path p : List.of(f.features(), f.labels(), f.edges(), f.train(), f.validation(), f.test())) {
      files.add(new DataFile(p, Sha256.of(p)));
    }
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      var floats = Nd4j.create(x, new long[] {n, f.numFeatures()}, 'c');
      var features = floats.castTo(dataType);
      if (features != floats) {
        floats.close();
      }
      return new NodeGraph(
          f.name(), features, labels, f.numClasses(), adj, train, val, test, List.copyOf(files));
    }
  }

  /** Binarises and row-normalises {@code x} in place. */
  static void prepare(
      float[] x, int n, int width, boolean binarize, boolean rowNormalize, Path file) {
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int j = i * width; j < (i + 1) * width; j++) {
        if (x[j] < 0) {
          throw new BadInputException(
              file + ":" + (i + 1) + ": feature " + (j - i * width) + " is negative (" + x[j]
                  + "); binarize and rowNormalize expect non-negative counts or weights");
        }
        if (binarize && x[j] != 0) {
          x[j] = 1;
        }
        sum += x[j];
      }
      if (rowNormalize) {
        double d = Math.max(sum, 1.0);
        for (int j = i * width; j < (i + 1) * width; j++) {
          x[j] = (float) (x[j] / d);
        }
      }
    }
  }

  private static void checkSplit(Files f, int[] labels, int[] train, int[] val, int[] test) {
    int[] owner = new int[labels.length];
    int[][] parts = {train, val, test};
    Path[] paths = {f.train(), f.validation(), f.test()};
    for (int p = 0; p < 3; p++) {
      for (int v : parts[p]) {
        if (owner[v] != 0) {
          throw new BadInputException(
              paths[p] + " lists node " + v + ", which " + paths[owner[v] - 1]
                  + " also lists; the splits must be disjoint");
        }
        owner[v] = p + 1;
        if (labels[v] < 0) {
          throw new BadInputException(
              paths[p] + " lists node " + v + ", which has no label (-1) in " + f.labels());
        }
      }
    }
  }
}
