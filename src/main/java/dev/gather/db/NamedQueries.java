package dev.gather.db;

import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs the SQL queries that config declares by name. Values arrive as text from URLs or as JSON from other
 * sources, while the driver binds by the parameter types PostgreSQL infers for the statement; so each query's
 * parameter types are asked of PostgreSQL once, and every value is converted to its type first (a value that
 * does not convert is the caller's mistake, {@link FailureKind#BAD_PARAMETER}, not a database error). Runs on the
 * caller's event loop, over the client that verticle opened.
 */
public final class NamedQueries {
  private static final String TYPES_STATEMENT = "gather_param_types";
  private static final String PREPARE = "PREPARE " + TYPES_STATEMENT + " AS ";
  private static final String PARAMETER_TYPES =
      "SELECT parameter_types::text[] AS types FROM pg_prepared_statements WHERE name = '" + TYPES_STATEMENT + "'";
  private static final String DEALLOCATE = "DEALLOCATE " + TYPES_STATEMENT;

  private final Pool pool;
  private final SqlClient client;
  private final Map<String, String> sql;
  private final Map<String, List<String>> parameterTypes = new ConcurrentHashMap<>();

  /**
   * {@code client} runs the queries; {@code pool} lends the connection a query's parameter types are asked on
   * (once per query). {@code sql}: the SQL of each named query that aggregates may run, as config declares it.
   */
  public NamedQueries(SqlClient client, Pool pool, Map<String, String> sql) {
    this.client = client;
    this.pool = pool;
    this.sql = Map.copyOf(sql);
  }

  /**
   * Runs query {@code name} with these values for $1, $2...; one JSON object per row, keyed by column name.
   * Fails with a {@link Failure}; {@link FailureKind#TIMEOUT} when no answer came within {@code timeoutMs}.
   */
  public Future<JsonArray> run(String name, List<Object> params, long timeoutMs) {
    String text = sql.get(name);
    if (text == null) {
      return Future.failedFuture(new Failure(FailureKind.NOT_FOUND, "no query named " + name));
    }
    return parameterTypes(name, text)
        .compose(types -> client.preparedQuery(text).execute(bind(name, params, types)))
        .timeout(Math.max(1, timeoutMs), TimeUnit.MILLISECONDS)
        .map(rows -> {
          JsonArray out = new JsonArray(new ArrayList<>(rows.size()));
          for (Row row : rows) {
            out.add(row.toJson());
          }
          return out;
        })
        .recover(DbFailure::failed);
  }

  private Future<List<String>> parameterTypes(String name, String text) {
    List<String> known = parameterTypes.get(name);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    return pool.withConnection(connection -> describe(connection, text))
        .onSuccess(types -> parameterTypes.put(name, types));
  }

  private static Future<List<String>> describe(SqlConnection connection, String text) {
    return connection.query(PREPARE + text).execute()
        .compose(prepared -> connection.query(PARAMETER_TYPES).execute()
            .eventually(() -> connection.query(DEALLOCATE).execute()))
        .map(rows -> {
          String[] types = rows.iterator().next().getArrayOfStrings("types");
          return List.of(types);
        });
  }

  private static Tuple bind(String name, List<Object> params, List<String> types) {
    if (params.size() != types.size()) {
      throw new Failure(FailureKind.BAD_PARAMETER, "query " + name + " takes " + types.size() + " parameters, got "
          + params.size());
    }
    List<Object> values = new ArrayList<>(types.size());
    for (int i = 0; i < types.size(); i++) {
      values.add(convert(name, i + 1, types.get(i), params.get(i)));
    }
    return Tuple.wrap(values);
  }

  private static Object convert(String query, int position, String type, Object value) {
    if (value == null) {
      return null;
    }
    String text = String.valueOf(value);
    try {
      return switch (type) {
        case "smallint" -> Short.valueOf(text);
        case "integer" -> Integer.valueOf(text);
        case "bigint" -> Long.valueOf(text);
        case "numeric" -> new BigDecimal(text);
        case "real" -> Float.valueOf(text);
        case "double precision" -> Double.valueOf(text);
        case "boolean" -> parseBoolean(text);
        case "uuid" -> UUID.fromString(text);
        case "date" -> LocalDate.parse(text);
        case "timestamp with time zone" -> OffsetDateTime.parse(text);
        case "json", "jsonb" -> value instanceof JsonObject || value instanceof JsonArray ? value : text;
        default -> text;
      };
    } catch (IllegalArgumentException | java.time.format.DateTimeParseException e) {
      throw new Failure(FailureKind.BAD_PARAMETER, "parameter $" + position + " of query " + query + " must be " + type + ", got \""
          + abbreviate(text) + "\"");
    }
  }

  private static Boolean parseBoolean(String text) {
    return switch (text.toLowerCase()) {
      case "true", "t", "1", "yes" -> true;
      case "false", "f", "0", "no" -> false;
      default -> throw new IllegalArgumentException(text);
    };
  }

  private static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }
}
