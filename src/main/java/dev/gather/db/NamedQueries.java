package dev.gather.db;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
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

/**
 * Runs the SQL queries that config declares by name. Values arrive as text from URLs or as JSON from other
 * sources, while the driver binds by the parameter types PostgreSQL infers for the statement; so each query's
 * parameter types are asked of PostgreSQL once, and every value is converted to its type first (a value that
 * does not convert is the caller's mistake, answered 400, not a database error).
 */
final class NamedQueries {
  private static final String TYPES_STATEMENT = "gather_param_types";
  private static final String PREPARE = "PREPARE " + TYPES_STATEMENT + " AS ";
  private static final String PARAMETER_TYPES =
      "SELECT parameter_types::text[] AS types FROM pg_prepared_statements WHERE name = '" + TYPES_STATEMENT + "'";
  private static final String DEALLOCATE = "DEALLOCATE " + TYPES_STATEMENT;

  private final Pool pool;
  private final Map<String, String> sql;
  private final Map<String, List<String>> parameterTypes = new ConcurrentHashMap<>();

  NamedQueries(Pool pool, Map<String, String> sql) {
    this.pool = pool;
    this.sql = sql;
  }

  Future<NamedQuery.Rows> run(NamedQuery query) {
    String text = sql.get(query.name());
    if (text == null) {
      return Future.failedFuture(DbFailure.notFound("no query named " + query.name()));
    }
    return parameterTypes(query.name(), text)
        .compose(types -> pool.preparedQuery(text).execute(bind(query, types)))
        .map(rows -> {
          JsonArray out = new JsonArray();
          for (Row row : rows) {
            out.add(row.toJson());
          }
          return new NamedQuery.Rows(out);
        });
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

  private static Tuple bind(NamedQuery query, List<String> types) {
    if (query.params().size() != types.size()) {
      throw DbFailure.badRequest("query " + query.name() + " takes " + types.size() + " parameters, got "
          + query.params().size());
    }
    List<Object> values = new ArrayList<>(types.size());
    for (int i = 0; i < types.size(); i++) {
      values.add(convert(query.name(), i + 1, types.get(i), query.params().get(i)));
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
      throw DbFailure.badRequest("parameter $" + position + " of query " + query + " must be " + type + ", got \""
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
