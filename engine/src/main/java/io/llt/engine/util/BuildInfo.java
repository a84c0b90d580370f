package io.llt.engine.util;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The engine's version and git commit, written into {@code build.properties} at build time. */
public final class BuildInfo {
  private static final Properties PROPS = load();

  private BuildInfo() {}

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("/io/llt/engine/build.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // leave empty: version() and commit() report "unknown"
    }
    return p;
  }

  /** Returns the engine version, or {@code unknown}. */
  public static String version() {
    return value("version");
  }

  /** Returns the abbreviated git commit the engine was built from (with {@code -dirty} when the tree had changes), or {@code unknown}. */
  public static String commit() {
    String c = value("commit");
    return "true".equals(PROPS.getProperty("commitDirty")) ? c + "-dirty" : c;
  }

  private static String value(String key) {
    String v = PROPS.getProperty(key);
    return v == null || v.isBlank() || v.startsWith("${") ? "unknown" : v;
  }
}
