package io.llt.engine.data.graph;

import io.llt.engine.data.DataContext;
import io.llt.engine.data.DatasetLocator;
import io.llt.engine.spi.DataSourceProvider;
import io.llt.engine.spi.GraphDataConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * Cora (Sen et al., 2008) with the Planetoid public split (Yang et al., 2016): 2708 papers, 1433
 * binary bag-of-words features, 7 classes, 5278 undirected citation edges; 140 training nodes (20
 * per class), 500 validation and 1000 test nodes. Read from the plain-text conversion in {@code
 * ../shared/data/cora/text} ({@code features.txt}, {@code labels.txt}, {@code edges.txt}, {@code
 * train.txt}, {@code val.txt}, {@code test.txt}); never downloaded. Type id {@code cora}.
 *
 * @param path the directory holding the six files, directly or in its {@code text}
 *     sub-directory, relative to the config file; null searches {@code $LLT_DATA_DIR/cora}, {@code
 *     ~/.cache/llt/datasets/cora} and {@code /usr/share/datasets/cora}
 * @param rowNormalize divide each feature row by its sum (PyG's {@code NormalizeFeatures}, as GCN
 *     preprocesses Cora); default true
 */
public record CoraConfig(Path path, Boolean rowNormalize) implements GraphDataConfig {
  /** The type id. */
  public static final String ID = "cora";

  /** The feature width. */
  public static final int FEATURES = 1433;

  /** Applies defaults. */
  public CoraConfig {
    rowNormalize = rowNormalize == null || rowNormalize;
  }

  @Override
  public long[] exampleShape() {
    return new long[] {FEATURES};
  }

  @Override
  public int numClasses() {
    return 7;
  }

  @Override
  public NodeGraph loadGraph(DataContext context) {
    List<String> names =
        List.of("features.txt", "labels.txt", "edges.txt", "train.txt", "val.txt", "test.txt");
    Path dir =
        new DatasetLocator(context)
            .locateFiles(
                "cora", path, names, "text",
                "Point data.path at ../shared/data/cora (or set LLT_DATA_DIR to ../shared/data).");
    return GraphTextSource.load(
        new GraphTextSource.Files(
            ID,
            dir.resolve("features.txt"),
            dir.resolve("labels.txt"),
            dir.resolve("edges.txt"),
            dir.resolve("train.txt"),
            dir.resolve("val.txt"),
            dir.resolve("test.txt"),
            FEATURES,
            numClasses(),
            false,
            rowNormalize),
        context.dataType());
  }

  /** Registers {@code type: cora}. */
  public static final class Provider implements DataSourceProvider {
    @Override
    public String id() {
      return ID;
    }

    @Override
    public Class<CoraConfig> configType() {
      return CoraConfig.class;
    }

    @Override
    public String description() {
      return "Cora citation graph, Planetoid public split (140/500/1000 nodes), from plain text";
    }
  }
}
