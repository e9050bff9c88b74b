package org.grad4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One test per validation path of {@link SafeTensors#read}, each asserting the exact message. */
class SafeTensorsFormatTest {
    @TempDir
    Path dir;

    /** The 8-byte little-endian header length. */
    static byte[] length(long n) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    private Path raw(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /** A file with the given header (exact length, no padding) followed by {@code dataBytes} zeros. */
    private Path file(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return raw("x.safetensors", concat(length(h.length), h, new byte[dataBytes]));
    }

    private static void assertError(String expected, Path file) {
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(file));
        assertEquals(expected, e.getMessage());
    }

    // ---------------------------------------------------------------- framing

    @Test
    void fileShorterThanTheLengthField() throws IOException {
        assertError("short.safetensors: file holds 5 bytes, expected at least 8 (the header length)",
                raw("short.safetensors", new byte[5]));
    }

    @Test
    void emptyFile() throws IOException {
        assertError("empty.safetensors: file holds 0 bytes, expected at least 8 (the header length)",
                raw("empty.safetensors", new byte[0]));
    }

    @Test
    void headerLengthOverTheCap() throws IOException {
        // The file is small: the cap is checked first, and nothing of that size is allocated.
        assertError("bad.safetensors: header length 200000000 exceeds the 100 MB limit",
                raw("bad.safetensors", concat(length(200_000_000L), "{}".getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void headerLengthIsUnsigned() throws IOException {
        assertError("bad.safetensors: header length 18446744073709551615 exceeds the 100 MB limit",
                raw("bad.safetensors", length(-1L)));
    }

    @Test
    void headerLengthPastTheEndOfTheFile() throws IOException {
        assertError("x.safetensors: header length 100 runs past the end of the file: 108 bytes needed, "
                + "the file holds 18", raw("x.safetensors", concat(length(100), new byte[10])));
    }

    @Test
    void headerNotUtf8() throws IOException {
        byte[] header = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '{', '}', '}'};
        assertError("x.safetensors: header is not valid UTF-8",
                raw("x.safetensors", concat(length(header.length), header)));
    }

    @Test
    void emptyHeader() throws IOException {
        assertError("x.safetensors: header is not valid JSON: unexpected end of input, expected a value "
                + "at character 0", file("", 0));
    }

    @Test
    void headerNotJson() throws IOException {
        assertError("x.safetensors: header is not valid JSON: unexpected end of input, expected a value "
                + "at character 5", file("{\"a\":", 0));
    }

    @Test
    void headerWithTrailingGarbage() throws IOException {
        assertError("x.safetensors: header is not valid JSON: unexpected character 'x' after the end of the "
                + "JSON value at character 3", file("{} x", 0));
    }

    @Test
    void headerNotAnObject() throws IOException {
        assertError("x.safetensors: header is an array, expected a JSON object", file("[]", 0));
    }

    @Test
    void headerWithLiteral() throws IOException {
        assertError("x.safetensors: header is not valid JSON: unsupported literal 'null' (a safetensors "
                + "header holds only objects, arrays, strings and integers) at character 5",
                file("{\"w\":null}", 0));
    }

    @Test
    void duplicateTensorName() throws IOException {
        String entry = "{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}";
        assertError("x.safetensors: header is not valid JSON: duplicate key 'w' at character 53",
                file("{\"w\":" + entry + ",\"w\":" + entry + "}", 4));
    }

    @Test
    void deeplyNestedHeader() throws IOException {
        String deep = "[".repeat(100_000);
        assertError("x.safetensors: header is not valid JSON: nesting deeper than 64 levels at character 68",
                file("{\"w\":" + deep, 0));
    }

    // ---------------------------------------------------------------- tensor entries

    @Test
    void entryNotAnObject() throws IOException {
        assertError("x.safetensors: tensor 'w': entry is a string, expected an object with dtype, shape and "
                + "data_offsets", file("{\"w\":\"F32\"}", 0));
    }

    @Test
    void missingField() throws IOException {
        assertError("x.safetensors: tensor 'w': missing field 'data_offsets'",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4));
    }

    @Test
    void extraField() throws IOException {
        assertError("x.safetensors: tensor 'w': unexpected field 'offsets' (expected dtype, shape and "
                + "data_offsets)",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"offsets\":[0,4]}}", 4));
    }

    @Test
    void dtypeNotAString() throws IOException {
        assertError("x.safetensors: tensor 'w': dtype is a number, expected a string",
                file("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4));
    }

    @Test
    void unsupportedDtype() throws IOException {
        assertError("x.safetensors: unsupported dtype 'BF16' for tensor 'w' (supported: F32, I64)",
                file("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4));
    }

    @Test
    void dtypeIsCaseSensitive() throws IOException {
        assertError("x.safetensors: unsupported dtype 'f32' for tensor 'w' (supported: F32, I64)",
                file("{\"w\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4));
    }

    @Test
    void shapeNotAnArray() throws IOException {
        assertError("x.safetensors: tensor 'w': shape is a number, expected an array of non-negative integers",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":6,\"data_offsets\":[0,24]}}", 24));
    }

    @Test
    void negativeDimension() throws IOException {
        assertError("x.safetensors: tensor 'w': shape [2, -3] holds -3, expected non-negative integers",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,24]}}", 24));
    }

    @Test
    void fractionalDimension() throws IOException {
        assertError("x.safetensors: tensor 'w': shape [2.5] holds 2.5, expected non-negative integers",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8));
    }

    @Test
    void dimensionWithExponent() throws IOException {
        assertError("x.safetensors: tensor 'w': shape [2E0] holds 2E0, expected non-negative integers",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2E0],\"data_offsets\":[0,8]}}", 8));
    }

    @Test
    void dimensionAsString() throws IOException {
        assertError("x.safetensors: tensor 'w': shape [\"2\"] holds \"2\", expected non-negative integers",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8));
    }

    @Test
    void dimensionOverIntRange() throws IOException {
        assertError("x.safetensors: tensor 'w': shape [3000000000] holds 3000000000, more than 2147483647",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3000000000],\"data_offsets\":[0,12000000000]}}", 0));
    }

    @Test
    void dimensionOverLongRange() throws IOException {
        assertError("x.safetensors: tensor 'w': shape [99999999999999999999] holds 99999999999999999999, "
                + "more than 2147483647",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}", 4));
    }

    @Test
    void elementCountOverflow() throws IOException {
        assertError("x.safetensors: tensor 'w': shape [65536, 65536, 0] multiplies out past 2147483647 "
                + "elements, the most a tensor holds",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[65536,65536,0],\"data_offsets\":[0,0]}}", 0));
    }

    @Test
    void dataOffsetsWrongArity() throws IOException {
        assertError("x.safetensors: tensor 'w': data_offsets is [0], expected [begin, end]",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4));
    }

    @Test
    void dataOffsetsNotAnArray() throws IOException {
        assertError("x.safetensors: tensor 'w': data_offsets is \"0-4\", expected [begin, end]",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\"0-4\"}}", 4));
    }

    @Test
    void negativeDataOffset() throws IOException {
        assertError("x.safetensors: tensor 'w': data_offsets [-4, 0] holds -4, expected non-negative integers",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4));
    }

    @Test
    void dataOffsetOverLongRange() throws IOException {
        assertError("x.safetensors: tensor 'w': data_offsets [0, 9223372036854775808] holds 9223372036854775808, "
                + "more than 9223372036854775807",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,9223372036854775808]}}", 4));
    }

    @Test
    void dataOffsetsEndBeforeBegin() throws IOException {
        assertError("x.safetensors: tensor 'w': data_offsets [8, 4] end before they begin",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8));
    }

    @Test
    void byteCountDoesNotMatchTheShape() throws IOException {
        assertError("x.safetensors: tensor 'w': data_offsets [0, 20] hold 20 bytes, expected 24 for F32 [2, 3]",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20));
    }

    @Test
    void byteCountUsesTheDtypeSize() throws IOException {
        assertError("x.safetensors: tensor 'labels': data_offsets [0, 24] hold 24 bytes, expected 48 for I64 [6]",
                file("{\"labels\":{\"dtype\":\"I64\",\"shape\":[6],\"data_offsets\":[0,24]}}", 24));
    }

    @Test
    void offsetsNotContiguous() throws IOException {
        assertError("x.safetensors: tensor 'b': data_offsets begin at 16, expected 24 (offsets must be "
                + "contiguous from 0)",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}", 24));
    }

    @Test
    void offsetsWithAGap() throws IOException {
        assertError("x.safetensors: tensor 'b': data_offsets begin at 28, expected 24 (offsets must be "
                + "contiguous from 0)",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[28,36]}}", 36));
    }

    @Test
    void offsetsNotStartingAtZero() throws IOException {
        assertError("x.safetensors: tensor 'w': data_offsets begin at 8, expected 0 (offsets must be "
                + "contiguous from 0)",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16));
    }

    @Test
    void fileLongerThanTheData() throws IOException {
        assertError("x.safetensors: data ends at byte 40 of the data section, but the file holds 48 bytes of data",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                        + "\"b\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[24,40]}}", 48));
    }

    @Test
    void fileShorterThanTheData() throws IOException {
        assertError("x.safetensors: data ends at byte 24 of the data section, but the file holds 20 bytes of data",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", 20));
    }

    @Test
    void noTensorsButData() throws IOException {
        assertError("x.safetensors: data ends at byte 0 of the data section, but the file holds 4 bytes of data",
                file("{}", 4));
    }

    // ---------------------------------------------------------------- metadata

    @Test
    void metadataNotAnObject() throws IOException {
        assertError("x.safetensors: __metadata__ is an array, expected an object of strings",
                file("{\"__metadata__\":[\"lr\",\"0.1\"]}", 0));
    }

    @Test
    void metadataValueNotAString() throws IOException {
        assertError("x.safetensors: __metadata__ value for 'lr' is a number, expected a string",
                file("{\"__metadata__\":{\"op\":\"sgd\",\"lr\":0.1}}", 0));
    }

    @Test
    void metadataValueNested() throws IOException {
        assertError("x.safetensors: __metadata__ value for 'sizes' is an object, expected a string",
                file("{\"__metadata__\":{\"sizes\":{\"a\":\"1\"}}}", 0));
    }

    @Test
    void duplicateMetadataKey() throws IOException {
        assertError("x.safetensors: header is not valid JSON: duplicate key 'lr' at character 26",
                file("{\"__metadata__\":{\"lr\":\"1\",\"lr\":\"2\"}}", 0));
    }

    @Test
    void metadataTwice() throws IOException {
        assertError("x.safetensors: header is not valid JSON: duplicate key '__metadata__' at character 19",
                file("{\"__metadata__\":{},\"__metadata__\":{}}", 0));
    }
}
