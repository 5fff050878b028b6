{#-
    One row per file the build reads, those without a single non-blank line included, so that
    load_audit can give every file a row: an empty feed file is then seen, not absent.
    facility_files knows how each engine lists them. Ephemeral: compiled into load_audit.
-#}
with

files as (

    {{ facility_files() }}

),

final as (

    select source_file
    from files

)

select * from final
