package org.grad4j.core.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * grad4j's one JSON reader and writer: the small, strict subset of JSON that safetensors headers
 * use (objects, arrays, strings with every JSON escape, {@code \}{@code uXXXX} included, and
 * numbers), and with {@link #parseWithLiterals} also {@code true}, {@code false} and {@code null},
 * as in the metrics lines that training writes.
 *
 * <p>Parsed values are plain Java objects: an object is an unmodifiable insertion-ordered
 * {@code Map<String, Object>}, an array an unmodifiable {@code List<Object>}, a string a
 * {@code String} and a number a {@link Num} that keeps its literal text (the caller decides which
 * numbers it accepts, so it can say where a bad one was). {@link #parse} rejects {@code true},
 * {@code false} and {@code null}, which never occur in a safetensors header; both reject duplicate
 * keys, unpaired surrogates, control characters in strings, nesting deeper than
 * {@link #MAX_DEPTH} and anything after the top-level value but whitespace.
 *
 * <p>Internal: the package is exported only to grad4j's own modules, not part of the API.
 */
public final class Json {
    /** Deeper nesting is rejected before it can exhaust the stack; headers need 3 levels. */
    public static final int MAX_DEPTH = 64;

    /** A JSON number, kept as its literal text (already checked against JSON's number grammar). */
    public record Num(String text) {
        /** Marks a literal that is not a non-negative integer. */
        public static final long NOT_A_NON_NEGATIVE_INTEGER = -1;
        /** Marks a non-negative integer that does not fit in a {@code long}. */
        public static final long TOO_LARGE = -2;

        /**
         * The value if the literal is a non-negative integer that fits in a {@code long}, else
         * {@link #NOT_A_NON_NEGATIVE_INTEGER} or {@link #TOO_LARGE}.
         */
        public long nonNegativeLong() {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c < '0' || c > '9') {
                    return NOT_A_NON_NEGATIVE_INTEGER; // '-', '.', 'e', 'E', '+'
                }
            }
            if (text.length() > 19) {
                return TOO_LARGE;
            }
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                return TOO_LARGE;
            }
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /** A syntax error, with the character offset where it was found. */
    public static final class SyntaxException extends Exception {
        private static final long serialVersionUID = 1L;

        SyntaxException(String message, int offset) {
            super(message + " at character " + offset);
        }
    }

    private final String s;
    private final boolean literals;
    private int pos;

    private Json(String s, boolean literals) {
        this.s = s;
        this.literals = literals;
    }

    /**
     * Parses one JSON value surrounded by optional whitespace.
     *
     * @throws SyntaxException if the text is not JSON or uses what this parser does not support
     */
    public static Object parse(String text) throws SyntaxException {
        return parse(text, false);
    }

    /**
     * Parses one JSON value like {@link #parse(String)}, and also accepts the literals
     * {@code true} and {@code false} (as {@link Boolean}s) and {@code null} (as Java {@code null},
     * so an object's field that holds it is present in the map with a null value): the JSON of
     * files other than safetensors headers, such as a metrics line.
     *
     * @throws SyntaxException if the text is not JSON or uses what this parser does not support
     */
    public static Object parseWithLiterals(String text) throws SyntaxException {
        return parse(text, true);
    }

    private static Object parse(String text, boolean literals) throws SyntaxException {
        Json p = new Json(text, literals);
        p.skipWhitespace();
        Object v = p.value(0);
        p.skipWhitespace();
        if (p.pos < text.length()) {
            throw p.error("unexpected " + p.describe() + " after the end of the JSON value");
        }
        return v;
    }

    /** How a parsed value is named in error messages: "an object", "a string", ... */
    public static String typeName(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof List) {
            return "an array";
        }
        if (v instanceof String) {
            return "a string";
        }
        return "a number";
    }

    /** A parsed value written back as compact JSON, for error messages. */
    public static String toJson(Object v) {
        StringBuilder sb = new StringBuilder();
        appendValue(sb, v);
        return sb.toString();
    }

    private static void appendValue(StringBuilder sb, Object v) {
        if (v instanceof String str) {
            appendString(sb, str);
        } else if (v instanceof List<?> list) {
            sb.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                appendValue(sb, list.get(i));
            }
            sb.append(']');
        } else if (v instanceof Map<?, ?> map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                appendString(sb, (String) e.getKey());
                sb.append(": ");
                appendValue(sb, e.getValue());
            }
            sb.append('}');
        } else {
            sb.append(v);
        }
    }

    /**
     * Appends {@code value} as a JSON string: quotes, backslashes and control characters are
     * escaped, everything else (non-ASCII included) is written as is, to be encoded as UTF-8.
     */
    public static void appendString(StringBuilder sb, String value) {
        sb.append('"');
        appendEscaped(sb, value);
        sb.append('"');
    }

    private static void appendEscaped(StringBuilder sb, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
    }

    /** The index of the first unpaired surrogate in {@code s}, or -1 if it is well-formed UTF-16. */
    public static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return i;
                }
            } else if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------- parser

    private Object value(int depth) throws SyntaxException {
        if (pos >= s.length()) {
            throw error("unexpected end of input, expected a value");
        }
        char c = s.charAt(pos);
        if (c == '{' || c == '[') {
            if (depth >= MAX_DEPTH) {
                throw error("nesting deeper than " + MAX_DEPTH + " levels");
            }
            return c == '{' ? object(depth + 1) : array(depth + 1);
        }
        if (c == '"') {
            return string();
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            return number();
        }
        if (s.startsWith("true", pos) || s.startsWith("false", pos) || s.startsWith("null", pos)) {
            String word = s.startsWith("true", pos) ? "true" : s.startsWith("false", pos) ? "false" : "null";
            if (literals) {
                pos += word.length();
                return word.equals("null") ? null : Boolean.valueOf(word);
            }
            throw error("unsupported literal '" + word
                    + "' (a safetensors header holds only objects, arrays, strings and integers)");
        }
        throw error("unexpected " + describe() + ", expected a value");
    }

    private Map<String, Object> object(int depth) throws SyntaxException {
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return Collections.unmodifiableMap(map);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("unexpected " + describe() + ", expected a string key");
            }
            int keyAt = pos;
            String key = string();
            if (map.containsKey(key)) {
                throw new SyntaxException("duplicate key " + quote(key), keyAt);
            }
            skipWhitespace();
            expect(':');
            skipWhitespace();
            map.put(key, value(depth));
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                return Collections.unmodifiableMap(map);
            } else {
                throw error("unexpected " + describe() + ", expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) throws SyntaxException {
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return Collections.unmodifiableList(list);
        }
        while (true) {
            skipWhitespace();
            list.add(value(depth));
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                return Collections.unmodifiableList(list);
            } else {
                throw error("unexpected " + describe() + ", expected ',' or ']'");
            }
        }
    }

    private String string() throws SyntaxException {
        int start = pos;
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= s.length()) {
                throw new SyntaxException("unterminated string", start);
            }
            char c = s.charAt(pos);
            if (c == '"') {
                pos++;
                break;
            }
            if (c < 0x20) {
                throw error(String.format("control character U+%04X in a string (it must be escaped)", (int) c));
            }
            if (c != '\\') {
                sb.append(c);
                pos++;
                continue;
            }
            if (pos + 1 >= s.length()) {
                throw new SyntaxException("unterminated string", start);
            }
            char e = s.charAt(pos + 1);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    sb.append(hex4(pos + 2));
                    pos += 4;
                }
                default -> throw error("invalid escape '\\" + printable(e) + "'");
            }
            pos += 2;
        }
        String out = sb.toString();
        if (unpairedSurrogate(out) >= 0) {
            throw new SyntaxException("string holds an unpaired surrogate (escaped as \\uD800-\\uDFFF)", start);
        }
        return out;
    }

    private char hex4(int at) throws SyntaxException {
        if (at + 4 > s.length()) {
            throw new SyntaxException("invalid \\u escape: expected 4 hex digits", at - 2);
        }
        int v = 0;
        for (int i = at; i < at + 4; i++) {
            char c = s.charAt(i);
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) {
                throw new SyntaxException("invalid \\u escape: expected 4 hex digits", at - 2);
            }
            v = v * 16 + d;
        }
        return (char) v;
    }

    private Num number() throws SyntaxException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            digits();
        } else {
            throw error("invalid number, expected a digit");
        }
        if (peek() == '.') {
            pos++;
            if (!isDigit(peek())) {
                throw error("invalid number, expected a digit after '.'");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("invalid number, expected a digit in the exponent");
            }
            digits();
        }
        return new Num(s.substring(start, pos));
    }

    private void digits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void expect(char c) throws SyntaxException {
        if (peek() != c) {
            throw error("unexpected " + describe() + ", expected '" + c + "'");
        }
        pos++;
    }

    /** The current character, or {@code '\0'} at the end (never valid where it is tested). */
    private char peek() {
        return pos < s.length() ? s.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private String describe() {
        return pos >= s.length() ? "end of input" : "character '" + printable(s.charAt(pos)) + "'";
    }

    private static String printable(char c) {
        return c < 0x20 || c == 0x7f || Character.isSurrogate(c) ? String.format("\\u%04X", (int) c) : String.valueOf(c);
    }

    private SyntaxException error(String message) {
        return new SyntaxException(message, pos);
    }

    /**
     * A key or value in single quotes for an error message, escaped as in JSON; unpaired surrogates
     * are shown as {@code \}{@code uXXXX} too.
     */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        int bad = unpairedSurrogate(s);
        int from = 0;
        while (bad >= 0) {
            appendEscaped(sb, s.substring(from, bad));
            sb.append(String.format("\\u%04x", (int) s.charAt(bad)));
            from = bad + 1;
            int next = unpairedSurrogate(s.substring(from));
            bad = next < 0 ? -1 : from + next;
        }
        appendEscaped(sb, s.substring(from));
        return sb.append('\'').toString();
    }
}
