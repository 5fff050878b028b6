{#
    Numeric vars, checked in Jinja before they reach SQL: a value that is not a number of the
    right kind stops compilation with a message naming the var, instead of being coerced
    (Jinja's `int` filter turns "abc" into 0, its `float` filter "five" into 0.0).
#}
{% macro top_n() -%}
    {{- return(_whole_number_of_facilities('top_n')) -}}
{%- endmacro %}

{% macro max_rejected_share() -%}
    {%- set raw = var('max_rejected_share') -%}
    {%- set text = raw | string | trim -%}
    {%- set problem = 'max_rejected_share must be a share of lines between 0 and 1 (0.05 is 5%), got "' ~ raw ~ '"' -%}
    {%- if raw is boolean or not modules.re.fullmatch('[0-9]*\.?[0-9]+', text) -%}
        {{- exceptions.raise_compiler_error(problem) -}}
    {%- endif -%}
    {%- set share = text | float -%}
    {%- if share > 1 -%}
        {{- exceptions.raise_compiler_error(problem) -}}
    {%- endif -%}
    {{- return(share) -}}
{%- endmacro %}

{% macro min_facilities() -%}
    {{- return(_whole_number_of_facilities('min_facilities')) -}}
{%- endmacro %}

{% macro raw_file_piece_bytes() -%}
    {%- set raw = var('raw_file_piece_bytes') -%}
    {%- set text = raw | string | trim -%}
    {%- if raw is boolean or not modules.re.fullmatch('[0-9]+', text) or text | int < 1 -%}
        {{- exceptions.raise_compiler_error('raw_file_piece_bytes must be a whole number of bytes, 1 or more, got "' ~ raw ~ '"') -}}
    {%- endif -%}
    {{- return(text | int) -}}
{%- endmacro %}

{% macro _whole_number_of_facilities(name) -%}
    {%- set raw = var(name) -%}
    {%- set text = raw | string | trim -%}
    {%- if raw is boolean or not modules.re.fullmatch('[0-9]+', text) -%}
        {{- exceptions.raise_compiler_error(name ~ ' must be a whole number of facilities, 0 or more, got "' ~ raw ~ '"') -}}
    {%- endif -%}
    {{- return(text | int) -}}
{%- endmacro %}
