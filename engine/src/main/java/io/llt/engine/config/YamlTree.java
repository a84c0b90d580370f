package io.llt.engine.config;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A composed YAML document (SnakeYAML nodes, with their marks) plus the nodes that {@code --set}
 * overrides put into it. Answers where a node was written. Not thread-safe; one per load.
 */
final class YamlTree {
  private static final Pattern SEGMENT =
      Pattern.compile("([A-Za-z_][A-Za-z0-9_-]*)((?:\\[\\d+])*)");
  private static final Pattern INDEX = Pattern.compile("\\[(\\d+)]");

  private final String source;
  private final Node root;

  /** Nodes that have no file position: the empty document's root and everything overrides add. */
  private final Map<Node, ConfigLocation> synthetic = new IdentityHashMap<>();

  private YamlTree(String source, Node root) {
    this.source = source;
    this.root = root;
  }

  /**
   * One parsed {@code --set path=value}: path segments are names (String) and indices (Integer).
   */
  record Assignment(String text, List<Object> segments, Node value) {
    ConfigLocation location() {
      return new ConfigLocation("--set " + text, 0, 0);
    }
  }

  /**
   * Composes {@code yaml}; on a syntax error adds a problem at the error's mark and returns null.
   * An empty document becomes an empty mapping.
   */
  static YamlTree parse(String yaml, String source, List<ConfigProblem> problems) {
    Node node;
    try {
      node = compose(yaml);
    } catch (MarkedYAMLException e) {
      problems.add(syntaxProblem(e, source));
      return null;
    } catch (YAMLException e) {
      problems.add(new ConfigProblem(source, 0, 0, "", "invalid YAML: " + oneLine(e.getMessage())));
      return null;
    }
    if (node == null) {
      node = new MappingNode(Tag.MAP, new ArrayList<>(), DumperOptions.FlowStyle.BLOCK);
      YamlTree tree = new YamlTree(source, node);
      tree.synthetic.put(node, new ConfigLocation(source, 1, 1));
      return tree;
    }
    return new YamlTree(source, node);
  }

  /**
   * Parses one {@code dotted.path[index]=value} override; the value is YAML. On a malformed
   * override adds a problem and returns null.
   */
  static Assignment parseOverride(String text, List<ConfigProblem> problems) {
    ConfigLocation at = new ConfigLocation("--set " + text, 0, 0);
    int eq = text.indexOf('=');
    if (eq < 0) {
      problems.add(
          ConfigProblem.at(at, "", "expected dotted.path=value, for example trainer.epochs=3"));
      return null;
    }
    String path = text.substring(0, eq).trim();
    List<Object> segments = new ArrayList<>();
    for (String part : path.split("\\.", -1)) {
      Matcher m = SEGMENT.matcher(part);
      if (!m.matches()) {
        problems.add(
            ConfigProblem.at(
                at,
                "",
                "malformed path '"
                    + path
                    + "'; expected names joined by dots, each with optional [index], for example"
                    + " model.blocks[1].units"));
        return null;
      }
      segments.add(m.group(1));
      Matcher idx = INDEX.matcher(m.group(2));
      while (idx.find()) {
        try {
          segments.add(Integer.parseInt(idx.group(1)));
        } catch (NumberFormatException e) {
          problems.add(ConfigProblem.at(at, "", "index " + idx.group(1) + " is too large"));
          return null;
        }
      }
    }
    Node value;
    try {
      value = compose(text.substring(eq + 1));
    } catch (YAMLException e) {
      String why = e instanceof MarkedYAMLException m ? m.getProblem() : e.getMessage();
      problems.add(ConfigProblem.at(at, "", "the value is not valid YAML: " + oneLine(why)));
      return null;
    }
    if (value == null) {
      value = new ScalarNode(Tag.NULL, "", null, null, DumperOptions.ScalarStyle.PLAIN);
    }
    return new Assignment(text, segments, value);
  }

  /** Applies {@code o}, creating missing mappings on the way; adds a problem when it cannot. */
  void apply(Assignment o, List<ConfigProblem> problems) {
    ConfigLocation at = o.location();
    markSynthetic(o.value(), at);
    Node current = root;
    String walked = "";
    List<Object> segments = o.segments();
    for (int i = 0; i < segments.size(); i++) {
      boolean last = i == segments.size() - 1;
      Object segment = segments.get(i);
      if (segment instanceof String name) {
        if (!(current instanceof MappingNode map)) {
          problems.add(
              ConfigProblem.at(
                  at,
                  "",
                  "cannot set '" + name + "' inside " + what(walked, current) + ", not a mapping"));
          return;
        }
        int found = indexOfKey(map, name);
        Node next = found < 0 ? null : map.getValue().get(found).getValueNode();
        if (!last && (next == null || isNull(next))) {
          if (segments.get(i + 1) instanceof Integer) {
            problems.add(
                ConfigProblem.at(
                    at, "", "cannot index into " + join(walked, name) + ": it is not set"));
            return;
          }
          next = new MappingNode(Tag.MAP, new ArrayList<>(), DumperOptions.FlowStyle.BLOCK);
          synthetic.put(next, at);
        }
        if (last) {
          next = o.value();
        }
        if (found < 0) {
          ScalarNode key =
              new ScalarNode(Tag.STR, name, null, null, DumperOptions.ScalarStyle.PLAIN);
          synthetic.put(key, at);
          map.getValue().add(new NodeTuple(key, next));
        } else {
          NodeTuple old = map.getValue().get(found);
          map.getValue().set(found, new NodeTuple(old.getKeyNode(), next));
        }
        current = next;
        walked = join(walked, name);
      } else {
        int index = (Integer) segment;
        if (!(current instanceof SequenceNode list)) {
          problems.add(
              ConfigProblem.at(
                  at, "", "cannot index into " + what(walked, current) + ", not a list"));
          return;
        }
        int size = list.getValue().size();
        if (index >= size) {
          problems.add(
              ConfigProblem.at(
                  at,
                  "",
                  "index "
                      + index
                      + " out of range (list has "
                      + size
                      + " item"
                      + (size == 1 ? "" : "s")
                      + ")"));
          return;
        }
        if (last) {
          list.getValue().set(index, o.value());
        }
        current = list.getValue().get(index);
        walked = walked + "[" + index + "]";
      }
    }
  }

  /** Returns the document's root node. */
  Node root() {
    return root;
  }

  /** Returns where {@code node} was written. */
  ConfigLocation locate(Node node) {
    ConfigLocation at = synthetic.get(node);
    if (at != null) {
      return at;
    }
    Mark mark = node.getStartMark();
    return new ConfigLocation(source, mark.getLine() + 1, mark.getColumn() + 1);
  }

  /**
   * Returns where the value of a mapping entry was written: at the value when it is a scalar or
   * came from an override, else at the key (the start of a block mapping or list is the line after
   * its key, and an empty value has no useful position of its own).
   */
  ConfigLocation locateEntry(Node key, Node value) {
    if (synthetic.containsKey(value) || (value instanceof ScalarNode && !isNull(value))) {
      return locate(value);
    }
    return locate(key);
  }

  /** Returns true for an explicit or empty YAML null ({@code ~}, {@code null}, nothing). */
  static boolean isNull(Node node) {
    return node instanceof ScalarNode && Tag.NULL.equals(node.getTag());
  }

  /** Describes a node's kind for messages: {@code a mapping}, {@code a list}, {@code 'text'}. */
  static String describe(Node node) {
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    return isNull(node) ? "null" : "'" + ((ScalarNode) node).getValue() + "'";
  }

  /** Joins a dotted path and a key. */
  static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static Node compose(String yaml) {
    return new Yaml(new LoaderOptions()).compose(new java.io.StringReader(yaml));
  }

  private void markSynthetic(Node node, ConfigLocation at) {
    synthetic.put(node, at);
    if (node instanceof MappingNode map) {
      for (NodeTuple t : map.getValue()) {
        markSynthetic(t.getKeyNode(), at);
        markSynthetic(t.getValueNode(), at);
      }
    } else if (node instanceof SequenceNode list) {
      list.getValue().forEach(item -> markSynthetic(item, at));
    }
  }

  private static int indexOfKey(MappingNode map, String key) {
    List<NodeTuple> tuples = map.getValue();
    for (int i = 0; i < tuples.size(); i++) {
      if (tuples.get(i).getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
        return i;
      }
    }
    return -1;
  }

  private static String what(String walked, Node node) {
    return (walked.isEmpty() ? "the document" : walked) + ": it is " + describe(node);
  }

  private static ConfigProblem syntaxProblem(MarkedYAMLException e, String source) {
    Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
    StringBuilder msg = new StringBuilder("invalid YAML: ").append(oneLine(e.getProblem()));
    Mark context = e.getContextMark();
    if (e.getContext() != null) {
      msg.append(" (").append(oneLine(e.getContext()));
      if (context != null && mark != null && context.getLine() != mark.getLine()) {
        msg.append(" at line ").append(context.getLine() + 1);
      }
      msg.append(')');
    }
    return mark == null
        ? new ConfigProblem(source, 0, 0, "", msg.toString())
        : new ConfigProblem(source, mark.getLine() + 1, mark.getColumn() + 1, "", msg.toString());
  }

  private static String oneLine(String s) {
    return s == null ? "unknown error" : s.replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
