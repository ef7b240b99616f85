using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace GradientGuard.Analyzers.Infrastructure.Observed;

/// <summary>
/// A small, strict JSON reader for the findings file. The analyzers target netstandard2.0 and the compiler does not load
/// System.Text.Json for them (shipping it beside the analyzer would clash with the host's copy), so this reads RFC 8259
/// JSON into dictionaries, lists, strings, doubles, booleans and null. It never throws: bad input gives null and a
/// message with the line and column. Nesting is capped, so no input can exhaust the stack.
/// </summary>
internal sealed class MiniJson
{
    private const int MaxDepth = 64;
    private readonly string text;
    private int position;

    private MiniJson(string text) => this.text = text;

    /// <summary>The value <paramref name="text"/> holds, or null with <paramref name="error"/> saying what is wrong and where.</summary>
    public static object? Parse(string text, out string? error)
    {
        var reader = new MiniJson(text);
        error = null;
        if (!reader.TryValue(0, out var value, ref error))
            return null;
        reader.SkipWhitespace();
        if (reader.position < text.Length)
        {
            error = reader.Problem("unexpected text after the JSON value");
            return null;
        }
        return value;
    }

    private bool TryValue(int depth, out object? value, ref string? error)
    {
        value = null;
        if (depth > MaxDepth)
        {
            error = Problem("nested too deeply");
            return false;
        }
        SkipWhitespace();
        if (position >= text.Length)
        {
            error = Problem("unexpected end of the file");
            return false;
        }
        char c = text[position];
        switch (c)
        {
            case '{':
                return TryObject(depth, out value, ref error);
            case '[':
                return TryArray(depth, out value, ref error);
            case '"':
                bool ok = TryString(out var s, ref error);
                value = s;
                return ok;
            case 't':
                return TryWord("true", true, out value, ref error);
            case 'f':
                return TryWord("false", false, out value, ref error);
            case 'n':
                return TryWord("null", null, out value, ref error);
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                    return TryNumber(out value, ref error);
                error = Problem($"unexpected character '{c}'");
                return false;
        }
    }

    private bool TryObject(int depth, out object? value, ref string? error)
    {
        var result = new Dictionary<string, object?>(System.StringComparer.Ordinal);
        value = result;
        position++; // {
        SkipWhitespace();
        if (Next('}'))
            return true;
        while (true)
        {
            SkipWhitespace();
            if (position >= text.Length || text[position] != '"')
            {
                error = Problem("expected a property name in double quotes");
                return false;
            }
            if (!TryString(out var name, ref error))
                return false;
            SkipWhitespace();
            if (!Next(':'))
            {
                error = Problem("expected ':' after a property name");
                return false;
            }
            if (!TryValue(depth + 1, out var item, ref error))
                return false;
            result[name!] = item; // a repeated name: the last one wins, as in most readers
            SkipWhitespace();
            if (Next(','))
                continue;
            if (Next('}'))
                return true;
            error = Problem("expected ',' or '}' in an object");
            return false;
        }
    }

    private bool TryArray(int depth, out object? value, ref string? error)
    {
        var result = new List<object?>();
        value = result;
        position++; // [
        SkipWhitespace();
        if (Next(']'))
            return true;
        while (true)
        {
            if (!TryValue(depth + 1, out var item, ref error))
                return false;
            result.Add(item);
            SkipWhitespace();
            if (Next(','))
                continue;
            if (Next(']'))
                return true;
            error = Problem("expected ',' or ']' in an array");
            return false;
        }
    }

    private bool TryString(out string? value, ref string? error)
    {
        value = null;
        position++; // opening quote
        var builder = new StringBuilder();
        while (position < text.Length)
        {
            char c = text[position++];
            if (c == '"')
            {
                value = builder.ToString();
                return true;
            }
            if (c < ' ')
            {
                position--;
                error = Problem("control character inside a string");
                return false;
            }
            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }
            if (position >= text.Length)
                break;
            char escape = text[position++];
            switch (escape)
            {
                case '"': builder.Append('"'); break;
                case '\\': builder.Append('\\'); break;
                case '/': builder.Append('/'); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case 'n': builder.Append('\n'); break;
                case 'r': builder.Append('\r'); break;
                case 't': builder.Append('\t'); break;
                case 'u':
                    if (position + 4 > text.Length || !int.TryParse(text.Substring(position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                    {
                        error = Problem("bad \\u escape");
                        return false;
                    }
                    builder.Append((char)code);
                    position += 4;
                    break;
                default:
                    position--;
                    error = Problem($"bad escape '\\{escape}'");
                    return false;
            }
        }
        error = Problem("unterminated string");
        return false;
    }

    private bool TryNumber(out object? value, ref string? error)
    {
        value = null;
        int start = position;
        if (text[position] == '-')
            position++;
        int digits = position;
        while (position < text.Length && IsAsciiDigit(text[position]))
            position++;
        if (position == digits || (text[digits] == '0' && position - digits > 1))
        {
            error = Problem("bad number");
            return false;
        }
        if (position < text.Length && text[position] == '.')
        {
            position++;
            int fraction = position;
            while (position < text.Length && IsAsciiDigit(text[position]))
                position++;
            if (position == fraction)
            {
                error = Problem("bad number: no digit after '.'");
                return false;
            }
        }
        if (position < text.Length && (text[position] == 'e' || text[position] == 'E'))
        {
            position++;
            if (position < text.Length && (text[position] == '+' || text[position] == '-'))
                position++;
            int exponent = position;
            while (position < text.Length && IsAsciiDigit(text[position]))
                position++;
            if (position == exponent)
            {
                error = Problem("bad number: no digit in the exponent");
                return false;
            }
        }
        // Out-of-range literals (1e999) parse to Infinity in .NET Core but fail on .NET Framework: both are accepted as Infinity.
        string literal = text.Substring(start, position - start);
        value = double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) ? number
            : literal.StartsWith("-", System.StringComparison.Ordinal) ? double.NegativeInfinity : double.PositiveInfinity;
        return true;
    }

    private bool TryWord(string word, object? meaning, out object? value, ref string? error)
    {
        value = meaning;
        if (string.CompareOrdinal(text, position, word, 0, word.Length) == 0)
        {
            position += word.Length;
            return true;
        }
        error = Problem($"expected '{word}'");
        return false;
    }

    private bool Next(char c)
    {
        if (position < text.Length && text[position] == c)
        {
            position++;
            return true;
        }
        return false;
    }

    private void SkipWhitespace()
    {
        while (position < text.Length && text[position] is ' ' or '\t' or '\n' or '\r')
            position++;
        // A byte-order mark at the very start is not JSON, but editors write it.
        if (position == 0 && text.Length > 0 && text[0] == '\uFEFF')
        {
            position++;
            SkipWhitespace();
        }
    }

    private string Problem(string what)
    {
        int line = 1, column = 1;
        for (int i = 0; i < position && i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }
        return $"{what} at line {line}, column {column}";
    }

    // char.IsDigit takes every Unicode digit ('٣'), which double.Parse does not: a number is ASCII digits only.
    private static bool IsAsciiDigit(char c) => c >= '0' && c <= '9';
}
