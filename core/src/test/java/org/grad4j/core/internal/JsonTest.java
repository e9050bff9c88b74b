package org.grad4j.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonTest {
    private static void assertSyntaxError(String expected, String text) {
        Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parse(text));
        assertEquals(expected, e.getMessage());
    }

    private static String written(String s) {
        StringBuilder sb = new StringBuilder();
        Json.appendString(sb, s);
        return sb.toString();
    }

    @Test
    void parsesObjectsArraysStringsAndNumbersInOrder() throws Exception {
        Object v = Json.parse(" {\"b\" : [1, 22 ,[]], \"a\":{}, \"c\":\"x\"}\n\t\r ");
        assertEquals(Map.of("b", List.of(new Json.Num("1"), new Json.Num("22"), List.of()),
                "a", Map.of(), "c", "x"), v);
        assertEquals(List.of("b", "a", "c"), List.copyOf(((Map<?, ?>) v).keySet()));
    }

    @Test
    void decodesEveryEscape() throws Exception {
        assertEquals("\" \\ / \b \f \n \r \t é \u00e9 \ud83d\ude00 \u0000",
                Json.parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t é \\u00E9 \\ud83d\\uDE00 \\u0000\""));
    }

    @Test
    void numbersKeepTheirTextAndOnlyNonNegativeIntegersHaveAValue() throws Exception {
        assertEquals(0, ((Json.Num) Json.parse("0")).nonNegativeLong());
        assertEquals(Long.MAX_VALUE, ((Json.Num) Json.parse("9223372036854775807")).nonNegativeLong());
        assertEquals(Json.Num.TOO_LARGE, ((Json.Num) Json.parse("9223372036854775808")).nonNegativeLong());
        assertEquals(Json.Num.TOO_LARGE, ((Json.Num) Json.parse("1" + "0".repeat(40))).nonNegativeLong());
        for (String s : new String[] {"-1", "-0", "1.0", "1e2", "1E+2", "0.5e-3"}) {
            Json.Num n = (Json.Num) Json.parse(s);
            assertEquals(s, n.text());
            assertEquals(Json.Num.NOT_A_NON_NEGATIVE_INTEGER, n.nonNegativeLong(), s);
        }
    }

    @Test
    void writtenStringsParseBackToThemselves() throws Exception {
        Random rng = new Random(345);
        for (int trial = 0; trial < 200; trial++) {
            StringBuilder sb = new StringBuilder();
            int n = rng.nextInt(20);
            for (int i = 0; i < n; i++) {
                switch (rng.nextInt(4)) {
                    case 0 -> sb.append((char) rng.nextInt(0x80)); // ASCII, controls included
                    case 1 -> sb.append("\"\\'/".charAt(rng.nextInt(4)));
                    case 2 -> sb.append((char) (0xA0 + rng.nextInt(0xD000)));
                    default -> sb.appendCodePoint(0x10000 + rng.nextInt(0x100000 - 0x10000));
                }
            }
            String s = sb.toString();
            assertEquals(s, Json.parse(written(s)));
        }
    }

    @Test
    void writerEscapesOnlyWhatItMust() {
        assertEquals("\"a\\\"b\\\\c\\n\\u0001\\u001f é😀/\"", written("a\"b\\c\n\u0001\u001f é😀/"));
    }

    @Test
    void nestingUpToTheLimitIsAccepted() throws Exception {
        int depth = Json.MAX_DEPTH;
        Object v = Json.parse("[".repeat(depth) + "]".repeat(depth));
        for (int i = 1; i < depth; i++) {
            v = ((List<?>) v).get(0);
        }
        assertEquals(List.of(), v);
    }

    @Test
    void nestingBeyondTheLimitIsRejected() {
        assertSyntaxError("nesting deeper than 64 levels at character 64", "[".repeat(65) + "]".repeat(65));
    }

    @Test
    void rejectsDuplicateKeys() {
        assertSyntaxError("duplicate key 'a' at character 8", "{\"a\":1, \"a\":2}");
    }

    @Test
    void rejectsLiterals() {
        assertSyntaxError("unsupported literal 'true' (a safetensors header holds only objects, arrays, strings "
                + "and integers) at character 1", "[true]");
    }

    @Test
    void literalsWhenAsked() throws Json.SyntaxException {
        Object v = Json.parseWithLiterals("{\"a\": null, \"b\": [true, false], \"c\": 1}");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("a", "b", "c"), List.copyOf(m.keySet()));
        assertEquals(null, m.get("a"));
        assertEquals(List.of(true, false), m.get("b"));
        assertEquals("null", Json.typeName(m.get("a")));
        assertEquals("a boolean", Json.typeName(true));
        Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parseWithLiterals("[nulls]"));
        assertEquals("unexpected character 's', expected ',' or ']' at character 5", e.getMessage());
    }

    @Test
    void rejectsControlCharactersInStrings() {
        assertSyntaxError("control character U+000A in a string (it must be escaped) at character 2", "\"a\nb\"");
    }

    @Test
    void rejectsUnknownEscapes() {
        assertSyntaxError("invalid escape '\\x' at character 2", "\"a\\x41\"");
    }

    @Test
    void rejectsShortOrNonHexUnicodeEscapes() {
        assertSyntaxError("invalid \\u escape: expected 4 hex digits at character 1", "\"\\u12\"");
        assertSyntaxError("invalid \\u escape: expected 4 hex digits at character 1", "\"\\u12g4\"");
        assertSyntaxError("invalid \\u escape: expected 4 hex digits at character 1", "\"\\u١٢٣٤\"");
    }

    @Test
    void rejectsUnpairedSurrogates() {
        assertSyntaxError("string holds an unpaired surrogate (escaped as \\uD800-\\uDFFF) at character 0",
                "\"\\ud83d\"");
        assertSyntaxError("string holds an unpaired surrogate (escaped as \\uD800-\\uDFFF) at character 0",
                "\"\\ude00\\ud83d\"");
    }

    @Test
    void rejectsUnterminatedStrings() {
        assertSyntaxError("unterminated string at character 1", "[\"abc");
        assertSyntaxError("unterminated string at character 0", "\"abc\\");
    }

    @Test
    void rejectsMalformedNumbers() {
        assertSyntaxError("unexpected character '1' after the end of the JSON value at character 1", "01");
        assertSyntaxError("invalid number, expected a digit at character 1", "-");
        assertSyntaxError("invalid number, expected a digit after '.' at character 2", "1.");
        assertSyntaxError("invalid number, expected a digit in the exponent at character 2", "1e");
        assertSyntaxError("unexpected character '+', expected a value at character 0", "+1");
    }

    @Test
    void rejectsStructuralErrors() {
        assertSyntaxError("unexpected character '}', expected a value at character 5", "{\"a\":}");
        assertSyntaxError("unexpected character '1', expected a string key at character 1", "{1:2}");
        assertSyntaxError("unexpected character ',', expected ':' at character 4", "{\"a\",1}");
        assertSyntaxError("unexpected character ']', expected ',' or '}' at character 6", "{\"a\":1]");
        assertSyntaxError("unexpected end of input, expected ',' or ']' at character 2", "[1");
        assertSyntaxError("unexpected character ']', expected a value at character 3", "[1,]");
        assertSyntaxError("unexpected character '\\u0000', expected a value at character 0", "\u0000");
    }

    @Test
    void quotesKeysForMessages() {
        assertEquals("'it\\\"s\\n'", Json.quote("it\"s\n"));
        assertEquals("'w'", Json.quote("w"));
    }
}
