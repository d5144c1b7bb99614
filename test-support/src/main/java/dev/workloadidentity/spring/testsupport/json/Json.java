package dev.workloadidentity.spring.testsupport.json;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import com.azure.json.JsonToken;
import com.azure.json.JsonWriter;

/**
 * JSON as plain Java values: objects are {@link Map}s with insertion order, arrays are {@link java.util.List}s,
 * numbers are {@link Integer}, {@link Long} or {@link Double}.
 */
public final class Json {

    private Json() {
    }

    /**
     * Parses a JSON object.
     * @param json the text
     * @return the object's members in document order
     * @throws IllegalArgumentException when the text is not one JSON object; the message never quotes the text
     */
    public static Map<String, Object> parseObject(String json) {
        String problem;
        try (JsonReader reader = JsonProviders.createReader(json)) {
            if (reader.nextToken() != JsonToken.START_OBJECT) {
                problem = "Not a JSON object";
            }
            else {
                Object value = reader.readUntyped();
                if (reader.nextToken() != JsonToken.END_DOCUMENT) {
                    problem = "Trailing content after the JSON object";
                }
                else {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> object = (Map<String, Object>) value;
                    return object;
                }
            }
        }
        catch (IOException | RuntimeException ex) {
            // The parser's own message quotes the input, which may be a token's payload: never pass it on.
            problem = "Malformed JSON";
        }
        throw new IllegalArgumentException(problem);
    }

    /**
     * Writes a value as compact JSON.
     * @param value a map, list, string, number, boolean or {@code null}, nested as deep as needed
     * @return the JSON text
     */
    public static String write(Object value) {
        StringWriter out = new StringWriter();
        try (JsonWriter writer = JsonProviders.createWriter(out)) {
            writer.writeUntyped(value);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toString();
    }

}
