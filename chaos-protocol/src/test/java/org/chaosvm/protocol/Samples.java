package org.chaosvm.protocol;

import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sample of every message type, made from the sealed interfaces themselves: a new request or
 * reply is in these lists the moment it is declared, so no test can forget it.
 */
public final class Samples {
  private Samples() {}

  public static List<Request> requests() {
    List<Request> samples = new ArrayList<>();
    for (Class<?> type : Request.class.getPermittedSubclasses()) {
      samples.add((Request) sample(type));
    }
    return samples;
  }

  public static List<Reply> replies() {
    List<Reply> samples = new ArrayList<>();
    for (Class<?> type : Reply.class.getPermittedSubclasses()) {
      samples.add((Reply) sample(type));
    }
    return samples;
  }

  /** A record with a plausible value in each component, nested records and collections included. */
  static Object sample(Class<?> type) {
    RecordComponent[] components = type.getRecordComponents();
    if (components == null) {
      throw new IllegalArgumentException(type + " is not a record");
    }
    Class<?>[] types = new Class<?>[components.length];
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
      values[i] = value(components[i].getName(), components[i].getGenericType());
    }
    try {
      Constructor<?> constructor = type.getDeclaredConstructor(types);
      return constructor.newInstance(values);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot make a " + type, e);
    }
  }

  private static Object value(String name, Type type) {
    if (type instanceof ParameterizedType generic) {
      Class<?> raw = (Class<?>) generic.getRawType();
      Type[] args = generic.getActualTypeArguments();
      if (raw == List.class) {
        return List.of(value(name, args[0]));
      }
      if (raw == Map.class) {
        Map<Object, Object> map = new LinkedHashMap<>();
        map.put("k", value(name, args[1]));
        return map;
      }
      throw new IllegalArgumentException("no sample for " + type);
    }
    Class<?> raw = (Class<?>) type;
    if (name.equals("version")) {
      return Protocol.VERSION;
    }
    if (raw == int.class || raw == Integer.class) {
      return 3;
    }
    if (raw == long.class) {
      return 4096L;
    }
    if (raw == double.class || raw == Double.class) {
      return 12.5;
    }
    if (raw == boolean.class) {
      return true;
    }
    if (raw == String.class) {
      return name + "-text";
    }
    if (raw == GuestRef.class) {
      return new GuestRef("web1");
    }
    if (raw.isEnum()) {
      return raw.getEnumConstants()[raw.getEnumConstants().length - 1];
    }
    if (raw.isRecord()) {
      return sample(raw);
    }
    throw new IllegalArgumentException("no sample for " + type + " (" + name + ")");
  }
}
