package dev.nest.deploy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Reads the YAML of one function file into a tree, refusing what a function spec never needs and what would make
 * a hostile file expensive: more than {@link #MAX_CODE_POINTS} characters, nesting deeper than {@link #MAX_DEPTH},
 * aliases ({@code *name}, the billion-laughs device), more than one document, and keys given twice in one mapping.
 *
 * <p>Every duplicate key is reported (with its line) before the tree is built; a syntax error stops the reading and
 * is reported with its line and column. The work is linear in the size of the file and stops at the first limit
 * broken. Stateless and thread-safe.
 */
final class FunctionFileReader {
    /** Characters one function file may hold; the byte limit of {@link FunctionFiles} is reached first. */
    static final int MAX_CODE_POINTS = FunctionFiles.MAX_FILE_BYTES;
    /** Nesting of mappings and lists; a spec needs 4 ({@code scaling.schedule[0].cron}). */
    static final int MAX_DEPTH = 16;

    private static final ObjectMapper YAML = new ObjectMapper(yamlFactory());

    /** The problems found in a file, each a sentence naming the line (and the key where there is one). */
    static final class Unreadable extends RuntimeException {
        private final List<String> problems;

        Unreadable(List<String> problems) {
            super(String.join("; ", problems), null, false, false);
            this.problems = List.copyOf(problems);
        }

        List<String> problems() {
            return problems;
        }
    }

    private FunctionFileReader() {
    }

    private static YAMLFactory yamlFactory() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(MAX_CODE_POINTS);
        options.setMaxAliasesForCollections(0);
        options.setNestingDepthLimit(MAX_DEPTH + 8);
        options.setAllowDuplicateKeys(true); // found (all of them, with their lines) by check()
        options.setAllowRecursiveKeys(false);
        return YAMLFactory.builder().loaderOptions(options)
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH + 8)
                        .maxStringLength(MAX_CODE_POINTS).maxNumberLength(64).build())
                .build();
    }

    /**
     * The document of {@code text}: an empty file gives a missing node (the spec parser then says what a file must
     * hold).
     *
     * @throws Unreadable listing every duplicate key, or the first syntax error or limit broken
     */
    static JsonNode read(byte[] text) {
        flowDepth(text);
        check(text);
        try {
            JsonNode tree = YAML.readTree(text);
            return tree == null ? MissingNode.getInstance() : tree;
        } catch (JsonProcessingException e) {
            throw new Unreadable(List.of(syntax(e)));
        } catch (IOException e) {
            throw new Unreadable(List.of("cannot be read: " + e.getMessage()));
        }
    }

    /**
     * Refuses deeply nested flow collections ({@code [[[...}, {@code {a: {a: ...}) from the bytes alone: the YAML
     * scanner reads a flow collection's tokens ahead and takes seconds over a file of nothing else. Brackets in
     * quoted strings and comments are not counted; a plain scalar's brackets are (a spec has no reason to hold
     * more than a few).
     */
    private static void flowDepth(byte[] text) {
        int depth = 0;
        int line = 1;
        byte quote = 0;
        boolean comment = false;
        for (int i = 0; i < text.length; i++) {
            byte b = text[i];
            if (b == '\n') {
                line++;
                comment = false;
                continue;
            }
            if (comment) {
                continue;
            }
            if (quote != 0) {
                if (b == quote) {
                    quote = 0;
                } else if (b == '\\' && quote == '"') {
                    i++;
                }
                continue;
            }
            switch (b) {
                case '"', '\'' -> quote = b;
                case '#' -> comment = i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t';
                case '[', '{' -> {
                    if (++depth > MAX_DEPTH) {
                        throw new Unreadable(List.of("line " + line + ": nested deeper than " + MAX_DEPTH
                                + " levels; a function spec needs at most 4"));
                    }
                }
                case ']', '}' -> depth = Math.max(0, depth - 1);
                default -> {
                    // other characters do not nest
                }
            }
        }
    }

    /** One pass over the tokens: duplicates, aliases, depth and extra documents, before any tree is built. */
    private static void check(byte[] text) {
        List<String> problems = new ArrayList<>();
        try (JsonParser p = YAML.getFactory().createParser(text)) {
            Deque<Frame> frames = new ArrayDeque<>();
            int documents = 0;
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (p instanceof YAMLParser y && y.isCurrentAlias()) {
                    throw new Unreadable(List.of("line " + line(p) + ": YAML aliases (*" + p.getText()
                            + ") are not allowed in a function file; write the value out"));
                }
                if (frames.isEmpty() && t != JsonToken.END_OBJECT && t != JsonToken.END_ARRAY && ++documents > 1) {
                    throw new Unreadable(List.of("line " + line(p) + ": a second YAML document; a function file "
                            + "holds one document (one function per file)"));
                }
                switch (t) {
                    case START_OBJECT, START_ARRAY -> {
                        if (frames.size() >= MAX_DEPTH) {
                            throw new Unreadable(List.of("line " + line(p) + ": nested deeper than " + MAX_DEPTH
                                    + " levels; a function spec needs at most 4"));
                        }
                        frames.push(new Frame(t == JsonToken.START_OBJECT));
                    }
                    case END_OBJECT, END_ARRAY -> frames.pop();
                    case FIELD_NAME -> {
                        Frame f = frames.element();
                        String name = p.currentName();
                        f.current = name;
                        Integer first = f.keys.putIfAbsent(name, line(p));
                        if (first != null) {
                            problems.add("key '" + dotted(frames) + "' appears twice (lines " + first + " and "
                                    + line(p) + "); keep one");
                        }
                    }
                    default -> {
                        // scalars: nothing to check
                    }
                }
            }
        } catch (JsonProcessingException e) {
            problems.add(syntax(e));
        } catch (IOException e) {
            problems.add("cannot be read: " + e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new Unreadable(problems);
        }
    }

    /** The dotted key of the field just read: the current key of each enclosing mapping, outermost first. */
    private static String dotted(Deque<Frame> frames) {
        List<String> parts = new ArrayList<>();
        for (var it = frames.descendingIterator(); it.hasNext(); ) {
            Frame f = it.next();
            if (f.current != null) {
                parts.add(f.current);
            }
        }
        return String.join(".", parts);
    }

    /** A mapping (its keys and their lines, the key being read) or a list being read. */
    private static final class Frame {
        final Map<String, Integer> keys;
        String current;

        Frame(boolean mapping) {
            this.keys = mapping ? new HashMap<>() : Map.of();
        }
    }

    private static int line(JsonParser p) {
        return p.currentTokenLocation().getLineNr();
    }

    /** A syntax error or a broken parser limit, with its line and column and without the parser's source excerpt. */
    static String syntax(JsonProcessingException e) {
        String message = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        message = message.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("in 'reader'")
                && !l.startsWith("^")).findFirst().orElse(message.strip());
        var where = e.getLocation();
        String at = where == null || where.getLineNr() < 1 ? "" : "line " + where.getLineNr() + ", column "
                + where.getColumnNr() + ": ";
        return at + "not valid YAML: " + message;
    }
}
